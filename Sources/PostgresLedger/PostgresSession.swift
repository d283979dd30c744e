import Foundation
import Logging
import PostgresNIO

/// One connection to the queue's database, used by one daemon's threads in turn (the loop, the lease
/// keeper). Every use may be retried: when the connection breaks (server restart, network), the session
/// reconnects and runs the whole body again, for up to `reconnectWindow` seconds, so a daemon rides out a
/// restart of PostgreSQL. Synchronous by design: the daemon's loop runs on its own thread.
final class PostgresSession: @unchecked Sendable {  // `connection` is only touched under `lock`
    let url: PostgresURL
    let reconnectWindow: TimeInterval
    private let logger: Logger
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var connectionCount = 0

    init(url: PostgresURL, reconnectWindow: TimeInterval, logger: Logger) {
        self.url = url
        self.reconnectWindow = reconnectWindow
        self.logger = logger
    }

    deinit {
        _ = try? connection?.close().wait()
    }

    /// Runs `body` on the connection, alone; on a broken connection, reconnects and runs it again.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(reconnectWindow)
        var delay = 0.1
        var warned = false
        while true {
            do {
                return try body(try connected())
            } catch {
                let broken = connection?.isClosed ?? true
                guard broken || Self.isConnectionTrouble(error), Date() < deadline else { throw describe(error) }
                if !warned {
                    logger.warning("database unreachable: reconnecting", metadata: ["database": "\(url.description)", "error": "\(describe(error))"])
                    warned = true
                }
                _ = try? connection?.close().wait()
                connection = nil
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 1)
            }
        }
    }

    /// `body` inside BEGIN … COMMIT (ROLLBACK when it throws).
    func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { connection in
            _ = try run(connection, "BEGIN")
            do {
                let result = try body(connection)
                _ = try run(connection, "COMMIT")
                return result
            } catch {
                _ = try? run(connection, "ROLLBACK")
                throw error
            }
        }
    }

    func run(_ connection: PostgresConnection, _ query: PostgresQuery) throws -> PostgresQueryResult {
        try connection.query(query, logger: logger).wait()
    }

    /// A single statement, retried as a whole on a broken connection.
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try withConnection { try run($0, query) }
    }

    private func connected() throws -> PostgresConnection {
        if let connection {
            if !connection.isClosed { return connection }
            logger.warning("database connection closed: reconnecting", metadata: ["database": "\(url.description)"])
        }
        connectionCount += 1
        let made = try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.next(), configuration: url.configuration,
                                                  id: connectionCount, logger: logger).wait()
        connection = made
        return made
    }

    /// Errors that a new connection may cure: the server went away, is restarting, or the network broke.
    static func isConnectionTrouble(_ error: Error) -> Bool {
        if error is PostgresDecodingError || error is PostgresLedgerError { return false }
        guard let error = error as? PSQLError else { return true }  // NIO's connect and channel errors
        switch error.code {
        case .server:
            // Class 08: connection exception; 57: operator intervention (shutdown, starting up).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57")
        case .queryCancelled, .tooManyParameters, .invalidCommandTag: return false
        default: return true
        }
    }

    /// One line naming the database: the server's own message when there is one.
    func describe(_ error: Error) -> PostgresLedgerError {
        if let error = error as? PostgresLedgerError { return error }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " [\($0)]" } ?? ""
                return PostgresLedgerError("\(url.description): \(message)\(state)")
            }
            return PostgresLedgerError("\(url.description): \(error.code)\(error.underlying.map { " (\($0))" } ?? "")")
        }
        return PostgresLedgerError("\(url.description): \(error)")
    }
}
