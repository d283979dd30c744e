import Foundation

/// One daemon per state database: an exclusive `flock` on `<database>.lock`, held for the daemon's life. The
/// kernel releases it when the process dies, even on kill -9, so a crash never leaves a stale lock. The holder
/// writes its pid into the file so that a second daemon can say who holds it.
public final class DaemonLock: @unchecked Sendable {  // immutable after init; the descriptor is only closed in deinit
    public let path: String
    private let descriptor: Int32

    public init(besideDatabase databasePath: String) throws {
        path = databasePath + ".lock"
        try? FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw OutputError("\(path): cannot open the daemon lock (\(String(cString: strerror(errno))))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            if reason == EWOULDBLOCK {
                let holder = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw OutputError("\(databasePath): another daemon (pid \(holder.isEmpty ? "unknown" : holder)) is already using this state database; stop it or pass another --state")
            }
            throw OutputError("\(path): cannot lock (\(String(cString: strerror(reason))))")
        }
        self.descriptor = descriptor
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
