import Foundation
import Pipelines

/// Human output, progress and logs go to stderr; machine output (ids, JSON) goes to stdout.
enum Console {
    /// Writes a line to stderr; when a status line (a progress bar) is showing, the line goes above it and the
    /// bar is redrawn below, so that log lines never land on the end of the bar.
    static func error(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        if let status {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + "\n" + status).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Shows (or replaces) the status line at the bottom of a terminal's stderr; nil removes it.
    static func setStatus(_ line: String?) {
        lock.lock()
        defer { lock.unlock() }
        if let line {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else if status != nil {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
        status = line
    }

    nonisolated(unsafe) private static var status: String?
    private static let lock = NSLock()

    /// Writes to stdout through a buffer so that large outputs (ids, JSON lines) are not one syscall per line.
    static func out(_ text: String) {
        stdout.write(text)
    }

    static func flush() {
        stdout.flush()
    }

    /// The message of an error as one line, as the manifest and logs write it.
    static func describe(_ error: Error) -> String {
        ErrorText.oneLine(error)
    }

    private static let stdout = BufferedOutput(fileDescriptor: 1)
}

/// A small write buffer over a file descriptor, flushed when full and at `flush()`.
final class BufferedOutput {
    private let fileDescriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity = 1 << 16

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        buffer.reserveCapacity(capacity)
        atexit { Console.flush() }
    }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { flush() }
    }

    func flush() {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Foundation.write(fileDescriptor, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
