import ArgumentParser
import Foundation
import Transcripts

struct BenchTranscriptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-transcripts",
        abstract: "Measure reading + normalizing speed of transcripts on one core (MB/s, median of repetitions).",
        discussion: "Give files or folders (every regular file inside, recursively). Files that fail to read are counted and named."
    )

    @Argument(help: "Transcript files or folders.") var paths: [String]
    @Option(help: "Timed repetitions.") var repetitions = 3
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CLIError("\(path): no such file or directory") }
            if isDirectory.boolValue {
                for name in (FileManager.default.subpaths(atPath: path) ?? []).sorted() where !name.hasPrefix(".") {
                    let full = (path as NSString).appendingPathComponent(name)
                    var sub: ObjCBool = false
                    if FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { files.append(full) }
                }
            } else {
                files.append(path)
            }
        }
        let bytes = files.reduce(0.0) { $0 + Double((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        let loader = TranscriptLoader()
        let normalizer = Normalizer()
        var readRates: [Double] = [], bothRates: [Double] = []
        var turns = 0, failures: [String] = []
        for _ in 0..<max(1, repetitions) {
            var readNanoseconds: UInt64 = 0, totalNanoseconds: UInt64 = 0
            turns = 0
            failures = []
            for file in files {
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    let transcript = try loader.load(path: file)
                    let read = DispatchTime.now().uptimeNanoseconds
                    turns += normalizer.normalize(transcript).turns.count
                    let done = DispatchTime.now().uptimeNanoseconds
                    readNanoseconds += read - start
                    totalNanoseconds += done - start
                } catch {
                    failures.append("\(error)")
                }
            }
            readRates.append(bytes / 1e6 / (Double(readNanoseconds) / 1e9))
            bothRates.append(bytes / 1e6 / (Double(totalNanoseconds) / 1e9))
        }
        let read = BenchCommand.median(readRates), both = BenchCommand.median(bothRates)
        if json {
            Console.out(try JSONText.line(["files": files.count, "bytes": Int(bytes), "read_mb_per_s": read, "read_normalize_mb_per_s": both,
                                           "turns": turns, "failed": failures.count]))
        } else {
            Console.out(String(format: "%d files, %.1f MB, %d dialogue turns — read %.1f MB/s, read + normalize %.1f MB/s (median of %d); %d failed\n",
                               files.count, bytes / 1e6, turns, read, both, repetitions, failures.count))
            for failure in failures.prefix(10) { Console.error("error: \(failure)") }
        }
        Console.flush()
    }
}
