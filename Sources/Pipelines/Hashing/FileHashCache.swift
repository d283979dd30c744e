import Foundation

/// What identifies a file's content without reading it: its path, size and modification time (nanoseconds).
/// A model is rewritten, not edited in place, so a changed model changes at least one of them.
public struct FileStamp: Hashable, Sendable {
    public var path: String
    public var size: Int64
    public var modifiedNanoseconds: Int64

    public init(path: String, size: Int64, modifiedNanoseconds: Int64) {
        self.path = path
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
    }

    public init(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw OutputError("\(path): cannot stat (\(String(cString: strerror(errno))))") }
        self.init(path: path, size: Int64(info.st_size),
                  modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}

/// Somewhere a file's SHA-256 survives longer than one hashing: the daemon's ledger keeps them across restarts.
public protocol StoredFileHashes: Sendable {
    func storedHash(for stamp: FileStamp) throws -> String?
    func storeHash(_ hash: String, for stamp: FileStamp) throws
}

/// Model files are gigabytes: each is hashed once per process and, given a store (the daemon's ledger), once
/// per change, keyed by its `FileStamp`. Thread-safe; `process` is the one every caller shares.
public final class FileHashCache: @unchecked Sendable {  // the dictionary and counter are only touched under `lock`
    public static let process = FileHashCache()

    private let lock = NSLock()
    private var known: [FileStamp: String] = [:]
    private var reads = 0

    public init() {}

    /// Files this cache actually read, for tests and logs.
    public var filesRead: Int { lock.withLock { reads } }

    public func hex(ofFile path: String, store: StoredFileHashes? = nil) throws -> String {
        let stamp = try FileStamp(path: path)
        let stored = try store?.storedHash(for: stamp)
        if let hash = lock.withLock({ known[stamp] }) {
            // Known from earlier in this process: the store learns it too, for the next process.
            if let store, stored != hash { try store.storeHash(hash, for: stamp) }
            return hash
        }
        if let stored {
            lock.withLock { known[stamp] = stored }
            return stored
        }
        let hash = try ContentHash.hex(ofFile: path)
        lock.withLock {
            known[stamp] = hash
            reads += 1
        }
        try store?.storeHash(hash, for: stamp)
        return hash
    }
}
