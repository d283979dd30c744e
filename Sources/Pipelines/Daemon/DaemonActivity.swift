import Foundation

/// What a daemon did since it started, for its `/metrics` and status page: counters, and the most recent
/// files with their durations and errors. Written by the daemon's loop, read by the HTTP server; thread-safe.
public final class DaemonActivity: @unchecked Sendable {  // everything is behind `lock`
    public enum Outcome: String, Sendable {
        case done, failed, dead, leaseLost = "lease_lost"
    }

    public struct FileRecord: Sendable {
        public var source: String
        public var outcome: Outcome
        public var finishedAt: Date
        public var seconds: Double
        public var windows: Int
        public var tokens: Int
        public var error: String?

        public init(source: String, outcome: Outcome, finishedAt: Date = Date(), seconds: Double, windows: Int, tokens: Int, error: String? = nil) {
            self.source = source
            self.outcome = outcome
            self.finishedAt = finishedAt
            self.seconds = seconds
            self.windows = windows
            self.tokens = tokens
            self.error = error
        }
    }

    public struct Counters: Sendable, Equatable {
        public var claimed = 0
        public var done = 0
        public var failed = 0
        public var dead = 0
        public var leaseLost = 0
        public var windows = 0
        public var tokens = 0
        /// Seconds spent generating those tokens (prefill and decode).
        public var generationSeconds = 0.0

        public init() {}
    }

    public let startedAt = Date()
    private let lock = NSLock()
    private var counters = Counters()
    private var recent: [FileRecord] = []
    private let keep: Int

    public init(keep: Int = 2000) { self.keep = keep }

    public func claimed() { lock.withLock { counters.claimed += 1 } }

    public func window(tokens: Int, seconds: Double) {
        lock.withLock {
            counters.windows += 1
            counters.tokens += tokens
            counters.generationSeconds += seconds
        }
    }

    /// Counts a runner's finished windows.
    public func record(_ event: PipelineRunner.Event) {
        if case .windowFinished(_, _, _, _, let tokens, let seconds) = event { window(tokens: tokens, seconds: seconds) }
    }

    public func finished(_ record: FileRecord) {
        lock.withLock {
            switch record.outcome {
            case .done: counters.done += 1
            case .failed: counters.failed += 1
            case .dead: counters.dead += 1
            case .leaseLost: counters.leaseLost += 1
            }
            recent.append(record)
            if recent.count > keep { recent.removeFirst(recent.count - keep) }
        }
    }

    public func snapshot() -> (counters: Counters, recent: [FileRecord]) {
        lock.withLock { (counters, recent) }
    }
}
