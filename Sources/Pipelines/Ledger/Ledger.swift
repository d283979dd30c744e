import Foundation

/// What the ledger remembers of a (pipeline, source file).
public enum LedgerStatus: String, Sendable, CaseIterable {
    case done
    case failed
}

/// The ledger's answer for a file found by a daemon cycle.
public enum LedgerDecision: Equatable, Sendable {
    /// Process it; `attempt` counts from 1 (more after failures of the same content).
    case process(attempt: Int)
    case upToDate
    case waitingForRetry(until: Date)
}

/// One (pipeline, source file): what was done, with which hashes, and for failures when to try again.
public struct LedgerEntry: Equatable, Sendable {
    public var pipeline: String
    public var source: String
    public var status: LedgerStatus
    public var contentHash: String
    public var pipelineHash: String
    public var modelHash: String?
    public var attempts: Int
    public var lastError: String?
    public var nextRetryAt: Date?
    public var updatedAt: Date

    public init(pipeline: String, source: String, status: LedgerStatus, contentHash: String, pipelineHash: String, modelHash: String?,
                attempts: Int, lastError: String?, nextRetryAt: Date?, updatedAt: Date) {
        self.pipeline = pipeline
        self.source = source
        self.status = status
        self.contentHash = contentHash
        self.pipelineHash = pipelineHash
        self.modelHash = modelHash
        self.attempts = attempts
        self.lastError = lastError
        self.nextRetryAt = nextRetryAt
        self.updatedAt = updatedAt
    }
}

/// Retries back off exponentially, so a failing file never blocks the others: the daemon skips it until its time.
public struct LedgerBackoff: Sendable {
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

/// The daemon's memory, wherever it is kept (SQLite by default, `SQLiteLedger`). An implementation stores
/// entries and an event log, and keeps model hashes by file stamp. The decisions have default
/// implementations over that storage (below); a shared ledger where several daemons claim files overrides them.
///
/// A file is processed when it has no entry, when its content hash or the pipeline hash changed, or when it
/// failed and its retry time has come.
public protocol Ledger: AnyObject, Sendable, StoredFileHashes {
    func decision(pipeline: String, source: String, contentHash: String, pipelineHash: String, now: Date) throws -> LedgerDecision
    func markDone(pipeline: String, source: String, contentHash: String, pipelineHash: String, modelHash: String, outputs: [String], now: Date) throws
    /// Records a failure and returns when the file will be tried again.
    @discardableResult
    func markFailed(pipeline: String, source: String, contentHash: String, pipelineHash: String, error: String, now: Date) throws -> Date

    var backoff: LedgerBackoff { get }
    /// Where the ledger lives, for messages (a path, a database URL without its password).
    var location: String { get }
    func entry(pipeline: String, source: String) throws -> LedgerEntry?
    func entries() throws -> [LedgerEntry]
    /// Replaces the entry and appends an event (`detail`: the outputs of a success, the error of a failure),
    /// both or neither.
    func record(_ entry: LedgerEntry, detail: String) throws
}

extension Ledger {
    public func decision(pipeline: String, source: String, contentHash: String, pipelineHash: String, now: Date = Date()) throws -> LedgerDecision {
        guard let entry = try entry(pipeline: pipeline, source: source) else { return .process(attempt: 1) }
        let sameWork = entry.contentHash == contentHash && entry.pipelineHash == pipelineHash
        switch (entry.status, sameWork) {
        case (.done, true): return .upToDate
        case (.failed, true):
            if let retry = entry.nextRetryAt, retry > now { return .waitingForRetry(until: retry) }
            return .process(attempt: entry.attempts + 1)
        default: return .process(attempt: 1)
        }
    }

    public func markDone(pipeline: String, source: String, contentHash: String, pipelineHash: String, modelHash: String, outputs: [String], now: Date = Date()) throws {
        try record(LedgerEntry(pipeline: pipeline, source: source, status: .done, contentHash: contentHash, pipelineHash: pipelineHash,
                               modelHash: modelHash, attempts: 0, lastError: nil, nextRetryAt: nil, updatedAt: now),
                   detail: outputs.joined(separator: "\n"))
    }

    @discardableResult
    public func markFailed(pipeline: String, source: String, contentHash: String, pipelineHash: String, error: String, now: Date = Date()) throws -> Date {
        let previous = try entry(pipeline: pipeline, source: source)
        let sameWork = previous?.status == .failed && previous?.contentHash == contentHash && previous?.pipelineHash == pipelineHash
        let attempts = (sameWork ? previous?.attempts ?? 0 : 0) + 1
        let retry = now.addingTimeInterval(backoff.delay(afterAttempts: attempts))
        try record(LedgerEntry(pipeline: pipeline, source: source, status: .failed, contentHash: contentHash, pipelineHash: pipelineHash,
                               modelHash: nil, attempts: attempts, lastError: error, nextRetryAt: retry, updatedAt: now),
                   detail: error)
        return retry
    }
}
