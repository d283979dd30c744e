import Foundation
import Hummingbird
import NIOCore

/// Closes a connection whose client stalls: reading the request body or taking a chunk of the response
/// longer than the timeout. Closing makes the pending read or write fail, which ends the request (and frees its
/// sequence) instead of holding it forever. Generation never waits for a client: events are buffered.
final class StallGuard: @unchecked Sendable {
    private let channel: any Channel
    private let timeout: Duration
    private let lock = NSLock()
    private var pendingSince: ContinuousClock.Instant?  // guarded by `lock`
    private var finished = false  // guarded by `lock`

    init(channel: any Channel, timeout: Duration) {
        self.channel = channel
        self.timeout = timeout
        Task { [weak self] in
            while let interval = self?.tick() {
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Checks once; returns how long to wait before the next check, or nil to stop watching.
    private func tick() -> Duration? {
        lock.withLock {
            guard !finished else { return nil }
            if let pendingSince, ContinuousClock.now - pendingSince > timeout {
                finished = true
                channel.close(promise: nil)
                return nil
            }
            return .milliseconds(250)
        }
    }

    func watch<T>(_ operation: () async throws -> T) async throws -> T {
        lock.withLock { pendingSince = .now }
        defer { lock.withLock { pendingSince = nil } }
        return try await operation()
    }

    func write(_ writer: inout any ResponseBodyWriter, _ buffer: ByteBuffer) async throws {
        lock.withLock { pendingSince = .now }
        defer { lock.withLock { pendingSince = nil } }
        try await writer.write(buffer)
    }

    func finish() { lock.withLock { finished = true } }
}
