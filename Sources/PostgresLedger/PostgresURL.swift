import Foundation
import PostgresNIO

/// `postgres://user[:password]@host[:port]/database` (also `postgresql://`), the form `--state` takes.
public struct PostgresURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    /// True when `state` names a PostgreSQL database rather than a SQLite file.
    public static func isPostgres(_ state: String) -> Bool {
        state.hasPrefix("postgres://") || state.hasPrefix("postgresql://")
    }

    public init(_ text: String) throws {
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw PostgresLedgerError("\(text): not a postgres:// URL (expected postgres://user[:password]@host[:port]/database)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresLedgerError("\(Self.redacted(text)): the URL names no host (expected postgres://user@host:port/database)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresLedgerError("\(Self.redacted(text)): the URL names no database (expected postgres://user@host:port/database)")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database
    }

    /// The URL without its password, for messages and `status`.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text) else { return "postgres://…" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "postgres://…"
    }

    var configuration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}

/// A ledger failure: one line naming the database.
public struct PostgresLedgerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
