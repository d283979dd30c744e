import Foundation

/// One file of the queue as `claire-pipeline status` shows it, for either backend.
public struct QueueRow: Equatable, Sendable {
    public enum State: String, Sendable, CaseIterable {
        case pending, running, done, failed, dead
    }

    public var pipeline: String
    public var source: String
    public var state: State
    public var attempts: Int
    public var claimSeq: Int64?
    public var owner: String?
    public var leaseUntil: Date?
    public var nextRetryAt: Date?
    public var lastError: String?
    /// How long the last successful run took (shared queues record it).
    public var seconds: Double?
    public var updatedAt: Date

    public init(pipeline: String, source: String, state: State, attempts: Int, claimSeq: Int64? = nil, owner: String? = nil,
                leaseUntil: Date? = nil, nextRetryAt: Date? = nil, lastError: String? = nil, seconds: Double? = nil, updatedAt: Date) {
        self.pipeline = pipeline
        self.source = source
        self.state = state
        self.attempts = attempts
        self.claimSeq = claimSeq
        self.owner = owner
        self.leaseUntil = leaseUntil
        self.nextRetryAt = nextRetryAt
        self.lastError = lastError
        self.seconds = seconds
        self.updatedAt = updatedAt
    }
}

extension Ledger {
    /// The queue as rows: a shared queue's own, or a single daemon's entries (done or failed; that ledger
    /// has no pending or running rows, since its daemon decides as it scans).
    public func allQueueRows() throws -> [QueueRow] {
        if let shared = self as? SharedQueue { return try shared.queueRows() }
        return try entries().map { entry in
            QueueRow(pipeline: entry.pipeline, source: entry.source, state: entry.status == .done ? .done : .failed,
                     attempts: entry.attempts, nextRetryAt: entry.nextRetryAt, lastError: entry.lastError, updatedAt: entry.updatedAt)
        }
    }
}

/// Files per state, for `status`, `/metrics` and the status page.
public struct QueueCounts: Equatable, Sendable {
    public var byState: [QueueRow.State: Int] = [:]

    public init(_ rows: [QueueRow]) {
        for row in rows { byState[row.state, default: 0] += 1 }
    }

    public subscript(state: QueueRow.State) -> Int { byState[state] ?? 0 }
    public var total: Int { byState.values.reduce(0, +) }
    /// Work not finished yet: pending, running and failed (waiting for a retry).
    public var depth: Int { self[.pending] + self[.running] + self[.failed] }
}
