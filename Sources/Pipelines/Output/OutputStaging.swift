import Foundation

/// Outputs of one claim of a shared queue, held back until the claim is known to still be the latest: each
/// is written and flushed under a temporary name tagged with the claim counter (`.tmp-c42-…`), and only
/// `commit`, which the queue runs under its fence, renames them into place. A daemon that lost its lease
/// therefore never replaces the outputs of the claim that took the file over.
public final class OutputStaging {
    public let claimSeq: Int64
    private(set) public var staged: [(temporary: URL, final: URL)] = []

    public init(claimSeq: Int64) { self.claimSeq = claimSeq }

    public var tag: String { "c\(claimSeq)" }

    public func stage(_ data: Data, at url: URL) throws {
        staged.append((try AtomicFile.writeTemporary(data, beside: url, tag: tag), url))
    }

    /// Moves every staged file into place. Safe to repeat after an interruption: a file already moved is skipped.
    public func commit() throws {
        for (temporary, final) in staged {
            if !FileManager.default.fileExists(atPath: temporary.path), FileManager.default.fileExists(atPath: final.path) { continue }
            try AtomicFile.moveIntoPlace(temporary, to: final)
        }
    }

    /// Removes what was staged and not committed (the claim failed or was lost).
    public func discard() {
        for (temporary, _) in staged { unlink(temporary.path) }
        staged.removeAll()
    }

    /// Removes temporaries that earlier claims of the file left beside `final` (a killed or fenced-off
    /// daemon's): they can never be committed, since their claim counter is no longer the latest.
    public static func removeStale(beside final: URL, olderThan claimSeq: Int64) {
        let directory = final.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        let claimPrefix = AtomicFile.temporaryPrefix + "c"
        for name in names where name.hasPrefix(claimPrefix) && name.hasSuffix("-" + final.lastPathComponent) {
            let digits = name.dropFirst(claimPrefix.count).prefix { $0.isNumber }
            if let seq = Int64(digits), seq < claimSeq { unlink(directory.appendingPathComponent(name).path) }
        }
    }
}
