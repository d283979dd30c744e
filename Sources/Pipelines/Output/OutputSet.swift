import Foundation

/// The outputs of one source (every step's `.jsonl` and `.md`), written as a set: all of them are staged as
/// temporaries and flushed first, and only when every one of them is complete on disk are they renamed into
/// place. A full disk, a read-only folder or any other write failure therefore leaves the previous set (or
/// nothing) and never a `.jsonl` without its `.md`. The renames themselves cannot run out of space; a crash
/// between two of them leaves files that a redo rewrites with the same bytes, and the ledger only records the
/// source once `commit` has returned.
public struct OutputSet {
    private var files: [(url: URL, data: Data)] = []

    public init() {}

    public mutating func add(_ data: Data, to url: URL) { files.append((url, data)) }

    public var urls: [URL] { files.map { $0.url } }

    /// Writes every file or none; returns their URLs in the order they were added.
    @discardableResult
    public func commit() throws -> [URL] {
        try stage().place()
    }

    /// The first half of `commit`: every file complete and flushed under a temporary name (see
    /// `AtomicFile.stage` for `tag`), nothing visible yet. A failure removes what was staged.
    public func stage(tag: String? = nil) throws -> Staged {
        var staged: [AtomicFile.Staged] = []
        do {
            for file in files { staged.append(try AtomicFile.stage(file.data, for: file.url, tag: tag)) }
        } catch {
            for temporary in staged { temporary.discard() }
            throw error
        }
        return Staged(files: staged)
    }

    /// A whole set on disk under temporary names, waiting to be renamed into place (or discarded).
    public struct Staged {
        public let files: [AtomicFile.Staged]

        public var urls: [URL] { files.map(\.destination) }

        /// Renames every file into place; on a failure, the ones not yet renamed are removed.
        @discardableResult
        public func place() throws -> [URL] {
            var placed = 0
            do {
                for temporary in files {
                    try temporary.place()
                    placed += 1
                }
            } catch {
                for temporary in files[placed...] { temporary.discard() }
                throw error
            }
            return urls
        }

        public func discard() { for temporary in files { temporary.discard() } }
    }
}
