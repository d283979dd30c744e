import Crypto
import Foundation

/// SHA-256 digests as lowercase hex: of bytes, of a file, of a model's files. The pipeline file, every input
/// and the model are hashed for the run manifest and the daemon's ledger, so a model of several gigabytes
/// goes through here; swift-crypto (BoringSSL's assembly underneath) keeps that near the disk's speed.
public enum ContentHash {
    /// Large reads keep the per-call overhead negligible next to the hashing itself.
    static let chunkSize = 8 << 20

    public static func hex(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Reads the file in `chunkSize` pieces into one reused buffer, so any size uses bounded memory.
    public static func hex(ofFile path: String) throws -> String {
        // Non-blocking, so that a FIFO among the inputs is refused instead of waiting for a writer forever.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw OutputError("\(path): cannot open for reading (\(String(cString: strerror(errno))))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw OutputError("\(path): not a regular file; only regular files are read")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var offset = 0
        while true {
            let count = read(descriptor, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw OutputError("\(path): read failed at byte \(offset) while hashing (\(String(cString: strerror(errno))))")
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += count
        }
        return hex(hasher.finalize())
    }

    /// Hashes every regular file under a path (a model directory), names and contents, in sorted order; a
    /// plain file hashes as itself. `cache` (and `store`) spare re-reading files whose stamp they know.
    public static func hex(ofTree path: String, cache: FileHashCache = .process, store: StoredFileHashes? = nil) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw OutputError("\(path): does not exist") }
        guard isDirectory.boolValue else { return try cache.hex(ofFile: path, store: store) }
        let names = (FileManager.default.subpaths(atPath: path) ?? []).sorted()
        var lines = ""
        for name in names {
            let full = (path as NSString).appendingPathComponent(name)
            var sub: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue else { continue }
            lines += "\(try cache.hex(ofFile: full, store: store))  \(name)\n"
        }
        return hex(Array(lines.utf8))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
