import Foundation
import ModelFiles

/// How many sequences run together by default, and whether their KV caches fit in memory.
public enum BatchSizing {
    /// Four sequences per core, at most 16, and no more than a quarter of the memory available beyond the
    /// model in KV caches: enough to amortize each weight read over many tokens without starving the machine.
    public static let defaultDescription = "4 per core, at most 16, within a quarter of the available memory"

    public static func defaultSequences(for config: FalconConfig, modelBytes: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                                        available: Int? = availableMemory()) -> Int {
        var sequences = min(16, max(1, 4 * cores))
        if let available {
            let budget = max(0, available - modelBytes) / 4
            sequences = min(sequences, max(1, budget / KVCache.bytes(for: config)))
        }
        return sequences
    }

    /// Refuses a batch whose KV caches cannot fit beside the model in the memory available now.
    public static func check(sequences: Int, config: FalconConfig, modelBytes: Int, modelName: String,
                             available: Int? = availableMemory()) throws {
        guard let available else { return }
        let perSequence = KVCache.bytes(for: config)
        let needed = sequences * perSequence
        let room = available - modelBytes
        guard needed > room else { return }
        let fits = max(0, room / perSequence)
        throw BatchSizingError(message: "a batch of \(sequences) sequences needs \(megabytes(needed)) of KV cache (\(megabytes(perSequence)) each for \(modelName)'s context of \(config.contextLength) tokens), but only \(megabytes(max(0, room))) of memory is available beside the model; use a batch of \(fits) or less")
    }

    /// `MemAvailable` from /proc/meminfo, in bytes (nil where there is no such file).
    public static func availableMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1_048_576) }
}

public struct BatchSizingError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
