import Foundation

/// Writes a whole file or nothing: the bytes go to a temporary file in the same directory, are flushed to disk,
/// then renamed over the destination (rename is atomic on POSIX file systems). A crash at any moment leaves
/// either the old file or the complete new one — never a partial one. Stray `.tmp-*` files left by a crash are
/// ignored by readers and removed by `removeStrayTemporaries`.
public enum AtomicFile {
    public static let temporaryPrefix = ".tmp-"

    public static func write(_ data: Data, to url: URL) throws {
        try stage(data, for: url).place()
    }

    /// A complete temporary file beside its destination, flushed to disk, waiting to be renamed into place.
    public struct Staged {
        public let temporary: URL
        public let destination: URL

        /// Renames the temporary over the destination and makes the rename durable.
        public func place() throws {
            guard rename(temporary.path, destination.path) == 0 else {
                let reason = String(cString: strerror(errno))
                discard()
                throw OutputError("\(destination.path): cannot rename the finished file into place (\(reason))")
            }
            let directoryDescriptor = open(destination.deletingLastPathComponent().path, O_RDONLY)
            if directoryDescriptor >= 0 {
                fsync(directoryDescriptor)
                close(directoryDescriptor)
            }
        }

        public func discard() { unlink(temporary.path) }
    }

    /// Writes `data` to a temporary file in `url`'s directory and flushes it; nothing is visible at `url` yet.
    /// The temporary's name is `temporaryPrefix`, then `tag` and a dash when given, then a unique part, then
    /// `url`'s name.
    public static func stage(_ data: Data, for url: URL, tag: String? = nil) throws -> Staged {
        let directory = url.deletingLastPathComponent()
        try makeDirectories(directory.path)
        let prefix = temporaryPrefix + (tag.map { "\($0)-" } ?? "")
        let temporary = directory.appendingPathComponent("\(prefix)\(getpid())-\(UUID().uuidString)-\(url.lastPathComponent)")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw OutputError("\(url.path): cannot create its temporary file (\(String(cString: strerror(errno))))") }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        // On a full disk the data may only be refused at flush time (delayed allocation): fsync's error counts too.
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        if close(descriptor) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary.path)
            throw OutputError("\(url.path): write failed (\(failure))")
        }
        return Staged(temporary: temporary, destination: url)
    }

    /// `mkdir -p` with the system's own reason on failure ("Read-only file system", "No space left on device"),
    /// which Foundation's errors paraphrase.
    static func makeDirectories(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw OutputError("\(path): cannot create the output directory (a file has its name)") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw OutputError("\(path): cannot create the output directory (\(String(cString: strerror(errno))))")
        }
    }

    /// Removes temporaries a killed writer left behind in `directory` (not recursive).
    public static func removeStrayTemporaries(in directory: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(temporaryPrefix) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
