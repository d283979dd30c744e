import Foundation

/// Writes a whole file or nothing: the bytes go to a temporary file in the same directory, are flushed to disk,
/// then renamed over the destination (rename is atomic on POSIX file systems). A crash at any moment leaves
/// either the old file or the complete new one — never a partial one. Stray `.tmp-*` files left by a crash are
/// ignored by readers and removed by `removeStrayTemporaries`.
public enum AtomicFile {
    public static let temporaryPrefix = ".tmp-"

    public static func write(_ data: Data, to url: URL) throws {
        let temporary = try writeTemporary(data, beside: url)
        try moveIntoPlace(temporary, to: url)
    }

    /// The first half of `write`: the bytes, flushed, in a new temporary file beside `url` (its name starts
    /// with `temporaryPrefix`, then `tag` when given, and ends with `url`'s name).
    public static func writeTemporary(_ data: Data, beside url: URL, tag: String? = nil) throws -> URL {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputError("\(directory.path): cannot create the output directory (\(error.localizedDescription))")
        }
        let prefix = temporaryPrefix + (tag.map { "\($0)-" } ?? "")
        let temporary = directory.appendingPathComponent("\(prefix)\(getpid())-\(UUID().uuidString)-\(url.lastPathComponent)")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw OutputError("\(temporary.path): cannot create (\(String(cString: strerror(errno))))") }
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
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if let failure {
            unlink(temporary.path)
            throw OutputError("\(url.path): write failed (\(failure))")
        }
        return temporary
    }

    /// The second half of `write`: renames the finished temporary over `url`, durably.
    public static func moveIntoPlace(_ temporary: URL, to url: URL) throws {
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw OutputError("\(url.path): cannot rename the finished file into place (\(reason))")
        }
        // Make the rename itself durable.
        let directoryDescriptor = open(url.deletingLastPathComponent().path, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
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
