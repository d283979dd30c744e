import Foundation

/// A file claimed from a shared queue by one daemon. `claimSeq` is the fencing token: the queue adds one on
/// every claim of the row and never resets it, so only the latest claimant's writes are accepted.
public struct QueueClaim: Equatable, Sendable {
    public var pipeline: String
    /// The file's path relative to its input root: the same on every host that mounts the shared folder.
    public var source: String
    public var claimSeq: Int64
    /// Claims of this content so far, this one included (what the retry policy and `dead` count).
    public var attempt: Int
    public var contentHash: String
    public var owner: String

    public init(pipeline: String, source: String, claimSeq: Int64, attempt: Int, contentHash: String, owner: String) {
        self.pipeline = pipeline
        self.source = source
        self.claimSeq = claimSeq
        self.attempt = attempt
        self.contentHash = contentHash
        self.owner = owner
    }
}

/// What became of a failed claim.
public enum QueueFailure: Equatable, Sendable {
    case retry(at: Date)
    /// Failed `maxAttempts` times with the same content: left alone until the file or the pipeline changes.
    case dead
    /// The claim was no longer ours (lease expired and taken over): nothing was recorded.
    case refused
}

/// A ledger that several daemons, on several hosts, share as their work queue (PostgreSQL:
/// `PostgresLedger`). Each file is claimed by one daemon under a lease it renews while it works; every write
/// that follows (renewal, outputs, done, failed) is fenced by the claim's `claimSeq`.
public protocol SharedQueue: Ledger {
    /// How long a claim lasts without renewal; the daemon renews every third of it.
    var leaseSeconds: TimeInterval { get }
    /// Failures (or expired leases) of the same content before the file is `dead`.
    var maxAttempts: Int { get }

    /// Records the files found by a scan: new or changed ones (content or pipeline hash) become pending;
    /// done and unchanged ones, and running ones, are left alone. Returns how many became pending, and
    /// wakes idle daemons when there are some.
    @discardableResult
    func enqueue(pipeline: String, pipelineHash: String, files: [(source: String, contentHash: String)]) throws -> Int
    /// The next ready file (pending, failed and due, or running with an expired lease), or nil.
    func claim(pipeline: String, owner: String) throws -> QueueClaim?
    /// Extends the lease; false when the claim is no longer the file's latest (stop working on it).
    func renew(_ claim: QueueClaim) throws -> Bool
    /// Runs `commit` (moving the claim's staged outputs into place) while holding the file's row under the
    /// fence, then marks it done, in one transaction. Returns false, without running `commit`, when the
    /// claim is no longer the latest.
    func complete(_ claim: QueueClaim, modelHash: String, outputs: [String], seconds: Double, commit: () throws -> Void) throws -> Bool
    func fail(_ claim: QueueClaim, error: String) throws -> QueueFailure
    /// Gives an unfinished claim back (graceful shutdown): ready again at once, the attempt not counted.
    func release(_ claim: QueueClaim) throws
    /// Records that a daemon gave a claim up because its lease was lost (for operators and metrics).
    func recordLeaseLost(_ claim: QueueClaim, detail: String) throws
    /// True while work remains that this pipeline's daemons may still get: ready now, or running (a
    /// running claim's lease may expire and be taken over).
    func hasOutstandingWork(pipeline: String) throws -> Bool
    /// Sleeps until another daemon announces work, `timeout` passes, or `stop` is set.
    func waitForWork(timeout: TimeInterval, stop: StopFlag)
    /// Every row, for `status` and the status page.
    func queueRows() throws -> [QueueRow]
}
