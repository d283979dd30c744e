import Foundation
import Logging
import PostgresNIO

/// `LISTEN claire_work` on a connection of its own: daemons that enqueue or give work back send a NOTIFY,
/// which wakes idle ones at once. NOTIFY is not persisted and the connection may drop, so waiting always
/// has a timeout (the poll interval): notifications only make the daemons quicker, never correct.
final class WorkNotifications: @unchecked Sendable {  // `connection` is only touched under `lock`
    static let channel = "claire_work"

    private let url: PostgresURL
    private let logger: Logger
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private let arrived = DispatchSemaphore(value: 0)

    init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    deinit {
        _ = try? connection?.close().wait()
    }

    /// Waits for a notification, `timeout` or `stop`, whichever comes first.
    func wait(timeout: TimeInterval, stop: () -> Bool) {
        listen()
        let deadline = Date().addingTimeInterval(max(0, timeout))
        while !stop(), Date() < deadline {
            if arrived.wait(timeout: .now() + min(0.25, max(0, deadline.timeIntervalSinceNow))) == .success {
                while arrived.wait(timeout: .now()) == .success {}  // one wake-up for a burst
                return
            }
        }
    }

    /// (Re)opens the listening connection; on failure, waiting falls back to polling until the next try.
    private func listen() {
        lock.lock()
        defer { lock.unlock() }
        if let connection, !connection.isClosed { return }
        do {
            let made = try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.next(), configuration: url.configuration,
                                                      id: 0, logger: logger).wait()
            made.addListener(channel: Self.channel) { [arrived] _, _ in arrived.signal() }
            _ = try made.query("LISTEN claire_work", logger: logger).wait()
            connection = made
        } catch {
            logger.debug("LISTEN unavailable: polling", metadata: ["error": "\(error)"])
            connection = nil
        }
    }
}
