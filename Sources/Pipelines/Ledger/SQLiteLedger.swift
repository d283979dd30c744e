import Foundation
import GRDB

/// The default `Ledger`: a SQLite database (by default inside the output folder). One daemon per database,
/// which `DaemonLock` enforces beside it.
public final class SQLiteLedger: Ledger {
    public let path: String
    public let backoff: LedgerBackoff
    private let queue: DatabaseQueue

    public var location: String { path }

    public init(path: String, backoff: LedgerBackoff = LedgerBackoff()) throws {
        self.path = path
        self.backoff = backoff
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.check(queue, path: path)
            try Self.migrator.migrate(queue)
        } catch let error as OutputError {
            throw error
        } catch {
            throw OutputError("\(path): cannot open the state database (\(Self.explain(error)))")
        }
    }

    /// A damaged database is refused at start, before any cycle trusts it; it is never replaced silently, as
    /// it is the only record of what was done.
    private static func check(_ queue: DatabaseQueue, path: String) throws {
        let verdict = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        guard verdict == ["ok"] else {
            throw OutputError("\(path): the state database is corrupted (\(verdict.prefix(3).joined(separator: "; "))); move it aside to start a new one (every input is then processed again) or restore a copy")
        }
    }

    /// SQLite's result code in words a user can act on.
    static func explain(_ error: Error) -> String {
        guard let database = error as? DatabaseError else { return "\(error)" }
        switch database.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return "locked by another process for more than 5 s (\(database.message ?? "database is locked")); is another program holding it open in a transaction?"
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return "the file is not a valid SQLite database: it is corrupted or is another kind of file (\(database.message ?? "")); move it aside to start a new one (every input is then processed again) or restore a copy"
        case .SQLITE_FULL:
            return "the disk is full (\(database.message ?? ""))"
        case .SQLITE_READONLY:
            return "it cannot be written: read-only file or folder (\(database.message ?? ""))"
        default:
            return "\(error)"
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 files") { db in
            try db.create(table: "file") { t in
                t.column("pipeline", .text).notNull()
                t.column("source", .text).notNull()
                t.column("status", .text).notNull()  // LedgerStatus
                t.column("content_hash", .text).notNull()
                t.column("pipeline_hash", .text).notNull()
                t.column("model_hash", .text)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("last_error", .text)
                t.column("next_retry_at", .double)
                t.column("updated_at", .double).notNull()
                t.primaryKey(["pipeline", "source"])
            }
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .double).notNull()
                t.column("pipeline", .text).notNull()
                t.column("source", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("detail", .text)
            }
        }
        // A restarted daemon would otherwise read its whole model again to learn a hash it already knew.
        migrator.registerMigration("v2 file hashes") { db in
            try db.create(table: "file_hash") { t in
                t.column("path", .text).notNull().primaryKey()
                t.column("size", .integer).notNull()
                t.column("modified_ns", .integer).notNull()
                t.column("sha256", .text).notNull()
            }
        }
        return migrator
    }

    public func record(_ entry: LedgerEntry, detail: String) throws {
        try write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO file (pipeline, source, status, content_hash, pipeline_hash, model_hash, attempts, last_error, next_retry_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.pipeline, entry.source, entry.status.rawValue, entry.contentHash, entry.pipelineHash, entry.modelHash,
                                 entry.attempts, entry.lastError, entry.nextRetryAt?.timeIntervalSince1970, entry.updatedAt.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO event (at, pipeline, source, outcome, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [entry.updatedAt.timeIntervalSince1970, entry.pipeline, entry.source, entry.status.rawValue, detail])
        }
    }

    public func entry(pipeline: String, source: String) throws -> LedgerEntry? {
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT * FROM file WHERE pipeline = ? AND source = ?", arguments: [pipeline, source]) }
        return try row.map(entry(from:))
    }

    public func entries() throws -> [LedgerEntry] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM file ORDER BY pipeline, source") }.map(entry(from:))
    }

    public func storedHash(for stamp: FileStamp) throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT sha256 FROM file_hash WHERE path = ? AND size = ? AND modified_ns = ?",
                                arguments: [stamp.path, stamp.size, stamp.modifiedNanoseconds])
        }
    }

    public func storeHash(_ hash: String, for stamp: FileStamp) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO file_hash (path, size, modified_ns, sha256) VALUES (?, ?, ?, ?)",
                           arguments: [stamp.path, stamp.size, stamp.modifiedNanoseconds, hash])
        }
    }

    private func entry(from row: Row) throws -> LedgerEntry {
        let status: String = row["status"]
        guard let known = LedgerStatus(rawValue: status) else {
            throw OutputError("\(path): unknown status '\(status)' for \(row["source"] as String? ?? "?"); expected \(LedgerStatus.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        return LedgerEntry(pipeline: row["pipeline"], source: row["source"], status: known, contentHash: row["content_hash"],
                           pipelineHash: row["pipeline_hash"], modelHash: row["model_hash"], attempts: row["attempts"],
                           lastError: row["last_error"], nextRetryAt: (row["next_retry_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                           updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw OutputError("\(path): state database read failed (\(Self.explain(error)))") }
    }

    private func write(_ body: (Database) throws -> Void) throws {
        do { try queue.write(body) } catch { throw OutputError("\(path): state database write failed (\(Self.explain(error)))") }
    }
}
