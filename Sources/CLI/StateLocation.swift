import Foundation
import Pipelines
import PostgresLedger

/// `--state`: a postgres:// URL selects the shared PostgreSQL queue (several daemons, several hosts);
/// anything else is the path of a single daemon's SQLite database.
enum StateLocation {
    static func isPostgres(_ state: String?) -> Bool { state.map(PostgresURL.isPostgres) ?? false }

    /// The ledger at `state` for reading (`status`): a SQLite path must exist already.
    static func openForReading(_ state: String) throws -> any Ledger {
        if PostgresURL.isPostgres(state) { return try PostgresLedger(url: state, reconnectWindow: 5) }
        guard FileManager.default.fileExists(atPath: state) else {
            throw CLIError("\(state): no state database here (a daemon creates <output>/.claire-pipeline-state.sqlite, or give a postgres:// URL)")
        }
        return try SQLiteLedger(path: state)
    }
}
