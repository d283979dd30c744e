import ArgumentParser
import Foundation
import Pipelines

struct BenchHashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-hash",
        abstract: "Measure SHA-256 throughput (MB/s) on a file, as run manifests and the daemon hash models and inputs.",
        discussion: """
            Reads the file through the page cache: run it twice, or `cat FILE > /dev/null` first, to time hashing \
            rather than the disk. Prints the digest (compare with sha256sum) and the rate of each repetition.
            """
    )

    @Argument(help: "The file to hash.")
    var file: String

    @Option(help: "How many timed repetitions.")
    var repetitions = 3

    func validate() throws {
        if repetitions < 1 { throw ValidationError("--repetitions must be 1 or more") }
    }

    func run() throws {
        let size = Double(try FileStamp(path: file).size)
        for _ in 0..<repetitions {
            let started = Date()
            let digest = try ContentHash.hex(ofFile: file)
            let seconds = Date().timeIntervalSince(started)
            Console.out(String(format: "%@  %@  %.2f s  %.0f MB/s\n", digest, file, seconds, size / seconds / 1e6))
            Console.flush()
        }
    }
}
