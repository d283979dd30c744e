import Foundation
import GRDB

/// The daemon's memory, a real SQLite database: for each (pipeline, source file) what was done, when, with
/// which model, pipeline and content hashes, and for failures the error, the attempt count and when to retry.
///
/// A file is processed when it has no entry, when its content hash or the pipeline hash changed, or when it
/// failed and its retry time has come. Retries back off exponentially (`backoff`), and a failing file never
/// blocks the others: the daemon simply skips it until its time.
public final class Ledger: Sendable {
    public struct Backoff: Sendable {
        public var initial: TimeInterval
        public var maximum: TimeInterval
        public init(initial: TimeInterval = 60, maximum: TimeInterval = 86_400) {
            self.initial = initial
            self.maximum = maximum
        }

        /// Delay after the `attempts`-th consecutive failure: initial, 2×, 4×, … capped at `maximum`.
        public func delay(afterAttempts attempts: Int) -> TimeInterval {
            min(maximum, initial * pow(2, Double(max(0, min(attempts - 1, 40)))))
        }
    }

    public enum Decision: Equatable, Sendable {
        /// Process it; `attempt` counts from 1 (more after failures of the same content).
        case process(attempt: Int)
        case upToDate
        case waitingForRetry(until: Date)
    }

    public struct Entry: Equatable, Sendable {
        public var pipeline: String
        public var source: String
        public var status: String
        public var contentHash: String
        public var pipelineHash: String
        public var modelHash: String?
        public var attempts: Int
        public var lastError: String?
        public var nextRetryAt: Date?
        public var updatedAt: Date
    }

    public let path: String
    public let backoff: Backoff
    private let queue: DatabaseQueue

    public init(path: String, backoff: Backoff = Backoff()) throws {
        self.path = path
        self.backoff = backoff
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch {
            throw OutputError("\(path): cannot open the state database (\(error))")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 files") { db in
            try db.create(table: "file") { t in
                t.column("pipeline", .text).notNull()
                t.column("source", .text).notNull()
                t.column("status", .text).notNull()  // done | failed
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
        return migrator
    }

    public func decision(pipeline: String, source: String, contentHash: String, pipelineHash: String, now: Date = Date()) throws -> Decision {
        guard let entry = try entry(pipeline: pipeline, source: source) else { return .process(attempt: 1) }
        let sameWork = entry.contentHash == contentHash && entry.pipelineHash == pipelineHash
        switch (entry.status, sameWork) {
        case ("done", true): return .upToDate
        case ("failed", true):
            if let retry = entry.nextRetryAt, retry > now { return .waitingForRetry(until: retry) }
            return .process(attempt: entry.attempts + 1)
        default: return .process(attempt: 1)
        }
    }

    public func markDone(pipeline: String, source: String, contentHash: String, pipelineHash: String, modelHash: String, outputs: [String], now: Date = Date()) throws {
        try write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO file (pipeline, source, status, content_hash, pipeline_hash, model_hash, attempts, last_error, next_retry_at, updated_at)
                VALUES (?, ?, 'done', ?, ?, ?, 0, NULL, NULL, ?)
                """, arguments: [pipeline, source, contentHash, pipelineHash, modelHash, now.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO event (at, pipeline, source, outcome, detail) VALUES (?, ?, ?, 'done', ?)",
                           arguments: [now.timeIntervalSince1970, pipeline, source, outputs.joined(separator: "\n")])
        }
    }

    /// Records a failure and returns when the file will be tried again.
    @discardableResult
    public func markFailed(pipeline: String, source: String, contentHash: String, pipelineHash: String, error: String, now: Date = Date()) throws -> Date {
        let previous = try entry(pipeline: pipeline, source: source)
        let sameWork = previous?.status == "failed" && previous?.contentHash == contentHash && previous?.pipelineHash == pipelineHash
        let attempts = (sameWork ? previous?.attempts ?? 0 : 0) + 1
        let retry = now.addingTimeInterval(backoff.delay(afterAttempts: attempts))
        try write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO file (pipeline, source, status, content_hash, pipeline_hash, model_hash, attempts, last_error, next_retry_at, updated_at)
                VALUES (?, ?, 'failed', ?, ?, NULL, ?, ?, ?, ?)
                """, arguments: [pipeline, source, contentHash, pipelineHash, attempts, error, retry.timeIntervalSince1970, now.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO event (at, pipeline, source, outcome, detail) VALUES (?, ?, ?, 'failed', ?)",
                           arguments: [now.timeIntervalSince1970, pipeline, source, error])
        }
        return retry
    }

    public func entry(pipeline: String, source: String) throws -> Entry? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM file WHERE pipeline = ? AND source = ?", arguments: [pipeline, source]).map(Self.entry(from:))
        }
    }

    public func entries() throws -> [Entry] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM file ORDER BY pipeline, source").map(Self.entry(from:)) }
    }

    private static func entry(from row: Row) -> Entry {
        Entry(pipeline: row["pipeline"], source: row["source"], status: row["status"], contentHash: row["content_hash"],
              pipelineHash: row["pipeline_hash"], modelHash: row["model_hash"], attempts: row["attempts"],
              lastError: row["last_error"], nextRetryAt: (row["next_retry_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
              updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw OutputError("\(path): state database read failed (\(error))") }
    }

    private func write(_ body: (Database) throws -> Void) throws {
        do { try queue.write(body) } catch { throw OutputError("\(path): state database write failed (\(error))") }
    }
}
