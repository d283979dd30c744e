import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted by a test, to create a full disk or a read-only file system for real. Mounting
/// needs root (or CAP_SYS_ADMIN); `isAvailable` says whether this machine allows it, and tests that need
/// it are enabled on that condition.
public final class ScratchMount {
    public let directory: URL

    /// Mounts a tmpfs of `bytes` (rounded up to pages) on a new temporary directory.
    public init(bytes: Int) throws {
        directory = try TemporaryFiles.makeDirectory(prefix: "claire-tmpfs")
        #if os(Linux)
        guard mount("tmpfs", directory.path, "tmpfs", 0, "size=\(bytes),mode=0755") == 0 else {
            let reason = String(cString: strerror(errno))
            TemporaryFiles.remove(directory)
            throw ScratchMountError(description: "cannot mount a tmpfs on \(directory.path): \(reason)")
        }
        #else
        TemporaryFiles.remove(directory)
        throw ScratchMountError(description: "tmpfs mounts are made on Linux only")
        #endif
    }

    /// Whether a tmpfs can be mounted here.
    public static let isAvailable: Bool = {
        guard let probe = try? ScratchMount(bytes: 4096) else { return false }
        probe.unmount()
        return true
    }()

    /// Makes the whole file system read-only (what a remount `ro` or a failing disk does).
    public func remountReadOnly() throws {
        #if os(Linux)
        guard mount("tmpfs", directory.path, "tmpfs", UInt(MS_REMOUNT) | UInt(MS_RDONLY), nil) == 0 else {
            throw ScratchMountError(description: "cannot remount \(directory.path) read-only: \(String(cString: strerror(errno)))")
        }
        #endif
    }

    /// Fills the file system with a file named `name` until a write fails with ENOSPC; returns its size.
    @discardableResult
    public func fill(name: String = "filler") throws -> Int {
        let path = directory.appendingPathComponent(name).path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw ScratchMountError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0x5A, count: 4096)
        var total = 0
        // Whole pages, then single bytes, so that not even a byte is left.
        for size in [4096, 1] {
            while true {
                let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, size) }
                if written <= 0 { break }
                total += written
            }
        }
        return total
    }

    /// Frees what `fill` took.
    public func free(name: String = "filler") {
        unlink(directory.appendingPathComponent(name).path)
    }

    public func unmount() {
        #if os(Linux)
        umount2(directory.path, Int32(MNT_DETACH))
        #endif
        TemporaryFiles.remove(directory)
    }

}

public struct ScratchMountError: Error, CustomStringConvertible {
    public var description: String
}
