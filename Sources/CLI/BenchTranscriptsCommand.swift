import ArgumentParser
import Foundation
import Transcripts

struct BenchTranscriptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-transcripts",
        abstract: "Measure reading + normalizing speed of a transcript file (MB/s on one core, median of repetitions)."
    )

    @Option(help: "The transcript file.") var file: String
    @Option(help: "Timed repetitions.") var repetitions = 5
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let size = Double((try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        let loader = TranscriptLoader()
        let normalizer = Normalizer()
        var readRates: [Double] = [], bothRates: [Double] = []
        var turns = 0
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now()
            let transcript = try loader.load(path: file)
            let read = DispatchTime.now()
            turns = normalizer.normalize(transcript).turns.count
            let done = DispatchTime.now()
            readRates.append(size / 1e6 / (Double(read.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9))
            bothRates.append(size / 1e6 / (Double(done.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9))
        }
        let read = BenchCommand.median(readRates), both = BenchCommand.median(bothRates)
        if json {
            Console.out(try JSONText.line(["file": file, "bytes": Int(size), "read_mb_per_s": read, "read_normalize_mb_per_s": both, "turns": turns]))
        } else {
            Console.out(String(format: "%@: %.1f MB, %d turns — read %.1f MB/s, read + normalize %.1f MB/s (median of %d)\n", file, size / 1e6, turns, read, both, repetitions))
        }
        Console.flush()
    }
}
