import Foundation
import Logging
import Pipelines
import PostgresNIO

/// The ledger as a work queue in PostgreSQL, shared by any number of daemons on any number of hosts
/// (`daemon --state postgres://…`). One row per (pipeline, source) in `claire_work`, claimed with
/// `FOR UPDATE SKIP LOCKED` under a lease; `claim_seq`, one more on every claim and never reset, fences
/// every later write of the claim (renewal, outputs, done, failed). `claire_event` is the audit log.
/// Leases are computed with the server's clock (`now()`), never the hosts'.
public final class PostgresLedger: SharedQueue, @unchecked Sendable {  // the session and listener lock themselves
    public let url: PostgresURL
    public let backoff: LedgerBackoff
    public let leaseSeconds: TimeInterval
    public let maxAttempts: Int
    private let session: PostgresSession
    private let notifications: WorkNotifications

    public var location: String { url.description }

    /// Connects (retrying for `reconnectWindow` seconds if the server is not up yet) and applies the
    /// migrations this database lacks.
    public init(url: String, backoff: LedgerBackoff = LedgerBackoff(), leaseSeconds: TimeInterval = 60, maxAttempts: Int = 5,
                reconnectWindow: TimeInterval = 120, logger: Logger = Logger(label: "claire-pipeline.postgres")) throws {
        self.url = try PostgresURL(url)
        self.backoff = backoff
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = max(1, maxAttempts)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)  // postgres-nio logs every query at debug and trace
        session = PostgresSession(url: self.url, reconnectWindow: reconnectWindow, logger: quiet)
        notifications = WorkNotifications(url: self.url, logger: quiet)
        try migrate()
    }

    /// Schema versions applied to this database, in order.
    public func schemaVersions() throws -> [Int] {
        try session.run("SELECT version FROM claire_schema_migrations ORDER BY version").map { try $0.decode(Int.self) }
    }

    private func migrate() throws {
        try session.transaction { connection in
            _ = try session.run(connection, "SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))")
            _ = try session.run(connection, """
                CREATE TABLE IF NOT EXISTS claire_schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let applied = Set(try session.run(connection, "SELECT version FROM claire_schema_migrations").map { try $0.decode(Int.self) })
            for migration in PostgresMigrations.all where !applied.contains(migration.version) {
                for statement in migration.statements { _ = try session.run(connection, PostgresQuery(unsafeSQL: statement)) }
                _ = try session.run(connection, "INSERT INTO claire_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
            }
            if let newest = applied.max(), newest > (PostgresMigrations.all.map(\.version).max() ?? 0) {
                throw PostgresLedgerError("\(url.description): the queue's schema is version \(newest), newer than this claire-pipeline knows; upgrade it")
            }
        }
    }

    // MARK: SharedQueue

    @discardableResult
    public func enqueue(pipeline: String, pipelineHash: String, files: [(source: String, contentHash: String)]) throws -> Int {
        guard !files.isEmpty else { return 0 }
        let sources = files.map(\.source), hashes = files.map(\.contentHash)
        let queued = try session.transaction { connection -> Int in
            let result = try session.run(connection, """
                INSERT INTO claire_work AS w (pipeline, source, content_hash, pipeline_hash, status, next_retry_at)
                SELECT \(pipeline), s, h, \(pipelineHash), 'pending', now() FROM unnest(\(sources)::text[], \(hashes)::text[]) AS t(s, h)
                ON CONFLICT (pipeline, source) DO UPDATE SET
                    content_hash = EXCLUDED.content_hash, pipeline_hash = EXCLUDED.pipeline_hash, status = 'pending', attempts = 0,
                    next_retry_at = now(), last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = now()
                WHERE w.status <> 'running' AND (w.content_hash <> EXCLUDED.content_hash OR w.pipeline_hash <> EXCLUDED.pipeline_hash)
                """)
            let count = result.metadata.rows ?? 0
            if count > 0 { _ = try session.run(connection, "SELECT pg_notify(\(WorkNotifications.channel), \(pipeline))") }
            return count
        }
        return queued
    }

    public func claim(pipeline: String, owner: String) throws -> QueueClaim? {
        try session.transaction { connection -> QueueClaim? in
            // A file whose every claim ended with an expired lease (its worker killed or stalled each time) stops here.
            _ = try session.run(connection, """
                WITH expired AS (
                    SELECT pipeline, source FROM claire_work
                    WHERE pipeline = \(pipeline) AND status = 'running' AND lease_until < now() AND attempts >= \(maxAttempts)
                    FOR UPDATE SKIP LOCKED),
                dead AS (
                    UPDATE claire_work w SET status = 'dead', lease_until = NULL, updated_at = now(),
                        last_error = 'the lease expired on each of ' || w.attempts || ' claims (worker killed or stalled)'
                    FROM expired WHERE w.pipeline = expired.pipeline AND w.source = expired.source
                    RETURNING w.pipeline, w.source, w.lease_owner, w.claim_seq, w.last_error)
                INSERT INTO claire_event (pipeline, source, worker, claim_seq, outcome, detail)
                SELECT pipeline, source, lease_owner, claim_seq, 'dead', last_error FROM dead
                """)
            let rows = try session.run(connection, """
                WITH next AS (
                    SELECT pipeline, source, status AS previous_status, lease_owner AS previous_owner FROM claire_work
                    WHERE pipeline = \(pipeline)
                      AND ((status IN ('pending', 'failed') AND next_retry_at <= now())
                           OR (status = 'running' AND lease_until < now() AND attempts < \(maxAttempts)))
                    ORDER BY next_retry_at, source
                    FOR UPDATE SKIP LOCKED LIMIT 1),
                claimed AS (
                    UPDATE claire_work w SET status = 'running', lease_owner = \(owner),
                        lease_until = now() + make_interval(secs => \(leaseSeconds)),
                        attempts = w.attempts + 1, claim_seq = w.claim_seq + 1, updated_at = now()
                    FROM next WHERE w.pipeline = next.pipeline AND w.source = next.source
                    RETURNING w.pipeline, w.source, w.claim_seq, w.attempts, w.content_hash, next.previous_status, next.previous_owner),
                logged AS (
                    INSERT INTO claire_event (pipeline, source, worker, claim_seq, outcome, detail)
                    SELECT pipeline, source, \(owner), claim_seq, 'claimed',
                           CASE WHEN previous_status = 'running' THEN 'took over the expired lease of ' || coalesce(previous_owner, '?')
                                ELSE 'attempt ' || attempts END
                    FROM claimed)
                SELECT source, claim_seq, attempts, content_hash FROM claimed
                """)
            guard let row = rows.first(where: { _ in true }) else { return nil }
            let (source, seq, attempts, hash) = try row.decode((String, Int64, Int, String).self)
            return QueueClaim(pipeline: pipeline, source: source, claimSeq: seq, attempt: attempts, contentHash: hash, owner: owner)
        }
    }

    public func renew(_ claim: QueueClaim) throws -> Bool {
        let result = try session.run("""
            UPDATE claire_work SET lease_until = now() + make_interval(secs => \(leaseSeconds)), updated_at = now()
            WHERE pipeline = \(claim.pipeline) AND source = \(claim.source) AND status = 'running'
              AND lease_owner = \(claim.owner) AND claim_seq = \(claim.claimSeq)
            """)
        return (result.metadata.rows ?? 0) == 1
    }

    /// Locks the claim's row if the claim is still the latest; the lock lasts until the transaction ends.
    private func holdsFence(_ claim: QueueClaim, on connection: PostgresConnection) throws -> Int? {
        let rows = try session.run(connection, """
            SELECT attempts FROM claire_work
            WHERE pipeline = \(claim.pipeline) AND source = \(claim.source) AND status = 'running'
              AND lease_owner = \(claim.owner) AND claim_seq = \(claim.claimSeq)
            FOR UPDATE
            """)
        return try rows.first(where: { _ in true })?.decode(Int.self)
    }

    public func complete(_ claim: QueueClaim, modelHash: String, outputs: [String], seconds: Double, commit: () throws -> Void) throws -> Bool {
        let detail = outputs.joined(separator: "\n")
        // The session runs the transaction again after a reconnection: the outputs are moved once, and a
        // failure to move them is the file's error, not the database's (and is not retried).
        var committed = false
        var commitError: Error?
        do {
            return try fencedCompletion(claim, modelHash: modelHash, detail: detail, seconds: seconds) {
                guard !committed else { return }
                do {
                    try commit()
                    committed = true
                } catch {
                    commitError = error
                    throw PostgresLedgerError("\(claim.source): outputs not moved into place")
                }
            }
        } catch {
            throw commitError ?? error
        }
    }

    private func fencedCompletion(_ claim: QueueClaim, modelHash: String, detail: String, seconds: Double, commit: () throws -> Void) throws -> Bool {
        try session.transaction { connection -> Bool in
            guard try holdsFence(claim, on: connection) != nil else { return false }
            // The row stays locked until COMMIT: no other daemon can claim the file while its outputs move into place.
            try commit()
            _ = try session.run(connection, """
                UPDATE claire_work SET status = 'done', model_hash = \(modelHash), outputs = \(detail), seconds = \(seconds),
                    lease_until = NULL, last_error = NULL, updated_at = now()
                WHERE pipeline = \(claim.pipeline) AND source = \(claim.source)
                """)
            _ = try session.run(connection, """
                INSERT INTO claire_event (pipeline, source, worker, claim_seq, outcome, detail, seconds)
                VALUES (\(claim.pipeline), \(claim.source), \(claim.owner), \(claim.claimSeq), 'done', \(detail), \(seconds))
                """)
            // Daemons waiting for the last files of a `--once` run learn at once that one is finished.
            _ = try session.run(connection, "SELECT pg_notify(\(WorkNotifications.channel), \(claim.pipeline))")
            return true
        }
    }

    public func fail(_ claim: QueueClaim, error: String) throws -> QueueFailure {
        try session.transaction { connection -> QueueFailure in
            guard let attempts = try holdsFence(claim, on: connection) else { return .refused }
            let dead = attempts >= maxAttempts
            let delay = backoff.delay(afterAttempts: attempts)
            let rows = try session.run(connection, """
                UPDATE claire_work SET status = \(dead ? "dead" : "failed"), last_error = \(error), lease_until = NULL,
                    next_retry_at = now() + make_interval(secs => \(delay)), updated_at = now()
                WHERE pipeline = \(claim.pipeline) AND source = \(claim.source)
                RETURNING next_retry_at
                """)
            _ = try session.run(connection, """
                INSERT INTO claire_event (pipeline, source, worker, claim_seq, outcome, detail)
                VALUES (\(claim.pipeline), \(claim.source), \(claim.owner), \(claim.claimSeq), \(dead ? "dead" : "failed"), \(error))
                """)
            if dead { return .dead }
            return .retry(at: try rows.first(where: { _ in true })?.decode(Date.self) ?? Date().addingTimeInterval(delay))
        }
    }

    public func release(_ claim: QueueClaim) throws {
        try session.transaction { connection in
            guard try holdsFence(claim, on: connection) != nil else { return }
            _ = try session.run(connection, """
                UPDATE claire_work SET status = 'pending', attempts = greatest(attempts - 1, 0), lease_owner = NULL, lease_until = NULL,
                    next_retry_at = now(), updated_at = now()
                WHERE pipeline = \(claim.pipeline) AND source = \(claim.source)
                """)
            _ = try session.run(connection, """
                INSERT INTO claire_event (pipeline, source, worker, claim_seq, outcome, detail)
                VALUES (\(claim.pipeline), \(claim.source), \(claim.owner), \(claim.claimSeq), 'released', 'the daemon stopped before finishing')
                """)
            _ = try session.run(connection, "SELECT pg_notify(\(WorkNotifications.channel), \(claim.pipeline))")
        }
    }

    public func recordLeaseLost(_ claim: QueueClaim, detail: String) throws {
        _ = try session.run("""
            INSERT INTO claire_event (pipeline, source, worker, claim_seq, outcome, detail)
            VALUES (\(claim.pipeline), \(claim.source), \(claim.owner), \(claim.claimSeq), 'lease_lost', \(detail))
            """)
    }

    public func hasOutstandingWork(pipeline: String) throws -> Bool {
        let rows = try session.run("""
            SELECT count(*) FROM claire_work WHERE pipeline = \(pipeline)
              AND (status IN ('pending', 'running') OR (status = 'failed' AND next_retry_at <= now()))
            """)
        return try (rows.first(where: { _ in true })?.decode(Int.self) ?? 0) > 0
    }

    public func waitForWork(timeout: TimeInterval, stop: StopFlag) {
        notifications.wait(timeout: timeout, stop: { stop.isSet })
    }

    public func queueRows() throws -> [QueueRow] {
        try session.run("""
            SELECT pipeline, source, status, attempts, claim_seq, lease_owner, lease_until, next_retry_at, last_error, seconds, updated_at
            FROM claire_work ORDER BY pipeline, source
            """).map { row in
            let (pipeline, source, status, attempts, seq, owner, lease, retry, error, seconds, updated) =
                try row.decode((String, String, String, Int, Int64, String?, Date?, Date, String?, Double?, Date).self)
            let state = QueueRow.State(rawValue: status) ?? .failed
            return QueueRow(pipeline: pipeline, source: source, state: state, attempts: attempts, claimSeq: seq,
                            owner: owner, leaseUntil: state == .running ? lease : nil,
                            nextRetryAt: state == .failed ? retry : nil, lastError: error, seconds: seconds, updatedAt: updated)
        }
    }

    /// The audit log, oldest first (tests and operators).
    public func events(pipeline: String? = nil) throws -> [QueueEvent] {
        try session.run("""
            SELECT at, pipeline, source, worker, claim_seq, outcome, detail FROM claire_event
            WHERE \(pipeline)::text IS NULL OR pipeline = \(pipeline)::text ORDER BY id
            """).map { row in
            let (at, pipeline, source, worker, seq, outcome, detail) = try row.decode((Date, String, String, String?, Int64?, String, String?).self)
            return QueueEvent(at: at, pipeline: pipeline, source: source, worker: worker, claimSeq: seq, outcome: outcome, detail: detail)
        }
    }

    // MARK: Ledger (the single-daemon view: done and failed entries)

    public func entry(pipeline: String, source: String) throws -> LedgerEntry? {
        try entries().first { $0.pipeline == pipeline && $0.source == source }
    }

    public func entries() throws -> [LedgerEntry] {
        try session.run("""
            SELECT pipeline, source, status, content_hash, pipeline_hash, model_hash, attempts, last_error, next_retry_at, updated_at
            FROM claire_work WHERE status IN ('done', 'failed', 'dead') ORDER BY pipeline, source
            """).map { row in
            let (pipeline, source, status, content, pipelineHash, model, attempts, error, retry, updated) =
                try row.decode((String, String, String, String, String, String?, Int, String?, Date, Date).self)
            return LedgerEntry(pipeline: pipeline, source: source, status: status == "done" ? .done : .failed, contentHash: content,
                               pipelineHash: pipelineHash, modelHash: model, attempts: attempts, lastError: error,
                               nextRetryAt: status == "failed" ? retry : nil, updatedAt: updated)
        }
    }

    public func record(_ entry: LedgerEntry, detail: String) throws {
        let status = entry.status == .done ? "done" : "failed"
        try session.transaction { connection in
            _ = try session.run(connection, """
                INSERT INTO claire_work AS w (pipeline, source, content_hash, pipeline_hash, model_hash, status, attempts, last_error,
                                              next_retry_at, updated_at)
                VALUES (\(entry.pipeline), \(entry.source), \(entry.contentHash), \(entry.pipelineHash), \(entry.modelHash), \(status),
                        \(entry.attempts), \(entry.lastError), \(entry.nextRetryAt ?? entry.updatedAt), \(entry.updatedAt))
                ON CONFLICT (pipeline, source) DO UPDATE SET content_hash = EXCLUDED.content_hash, pipeline_hash = EXCLUDED.pipeline_hash,
                    model_hash = EXCLUDED.model_hash, status = EXCLUDED.status, attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error,
                    next_retry_at = EXCLUDED.next_retry_at, updated_at = EXCLUDED.updated_at, lease_owner = NULL, lease_until = NULL
                """)
            _ = try session.run(connection, """
                INSERT INTO claire_event (at, pipeline, source, outcome, detail)
                VALUES (\(entry.updatedAt), \(entry.pipeline), \(entry.source), \(status), \(detail))
                """)
        }
    }

    public func storedHash(for stamp: FileStamp) throws -> String? {
        try session.run("""
            SELECT sha256 FROM claire_file_hash WHERE path = \(stamp.path) AND size = \(stamp.size) AND modified_ns = \(stamp.modifiedNanoseconds)
            """).first(where: { _ in true })?.decode(String.self)
    }

    public func storeHash(_ hash: String, for stamp: FileStamp) throws {
        _ = try session.run("""
            INSERT INTO claire_file_hash (path, size, modified_ns, sha256) VALUES (\(stamp.path), \(stamp.size), \(stamp.modifiedNanoseconds), \(hash))
            ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, modified_ns = EXCLUDED.modified_ns, sha256 = EXCLUDED.sha256
            """)
    }
}

/// One row of `claire_event`.
public struct QueueEvent: Equatable, Sendable {
    public var at: Date
    public var pipeline: String
    public var source: String
    public var worker: String?
    public var claimSeq: Int64?
    public var outcome: String
    public var detail: String?
}
