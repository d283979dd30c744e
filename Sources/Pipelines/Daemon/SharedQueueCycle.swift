import Foundation
import Logging

/// The daemon's loop over a shared queue (several daemons, possibly on several hosts): scan the inputs and
/// enqueue new or changed files, then claim ready files one at a time until none is left, then sleep until
/// another daemon announces work (LISTEN/NOTIFY), the poll interval passes or the next scan is due.
///
/// A claim is worked under a lease renewed by a `LeaseKeeper`; its outputs are staged under the claim
/// counter and moved into place by the queue's fenced `complete`, so a daemon that lost its lease (paused,
/// partitioned) neither marks the file done nor replaces the newer claim's outputs.
public final class SharedQueueCycle {
    public let spec: PipelineSpec
    public let pipelineHash: String
    public let modelHash: String
    public let runner: PipelineRunner
    public let queue: SharedQueue
    /// Who holds the claims: `host/pid` by default, shown in `status` and the events.
    public let owner: String
    public let activity: DaemonActivity
    /// How often an idle daemon looks for work when no notification comes (NOTIFY is not persisted).
    public var pollInterval: TimeInterval = 5
    private let logger: Logger
    private var files: [String: InputFile] = [:]

    public init(spec: PipelineSpec, pipelineHash: String, modelHash: String, runner: PipelineRunner, queue: SharedQueue,
                owner: String = SharedQueueCycle.defaultOwner, activity: DaemonActivity, logger: Logger) {
        self.spec = spec
        self.pipelineHash = pipelineHash
        self.modelHash = modelHash
        self.runner = runner
        self.queue = queue
        self.owner = owner
        self.activity = activity
        self.logger = logger
    }

    public static var defaultOwner: String { "\(ProcessInfo.processInfo.hostName)/\(getpid())" }

    /// Without a schedule (`--once`): returns when no work is left for anyone — nothing ready and nothing
    /// running elsewhere whose lease could still expire. With one: runs until `stop`, scanning on schedule.
    public func run(stop: StopFlag, schedule: ScheduleSpec?) throws -> DaemonCycle.Summary {
        var summary = DaemonCycle.Summary()
        try scanAndEnqueue()
        var nextScan = schedule.map { DaemonCycle.nextRun(after: Date(), schedule: $0) }
        while !stop.isSet {
            while !stop.isSet, let claim = try queue.claim(pipeline: spec.name, owner: owner) {
                work(on: claim, stop: stop, summary: &summary)
            }
            if stop.isSet { break }
            if let scanAt = nextScan, let schedule {
                queue.waitForWork(timeout: min(pollInterval, max(0, scanAt.timeIntervalSinceNow)), stop: stop)
                if Date() >= scanAt {
                    try scanAndEnqueue()
                    nextScan = DaemonCycle.nextRun(after: Date(), schedule: schedule)
                }
            } else {
                guard try queue.hasOutstandingWork(pipeline: spec.name) else { break }
                queue.waitForWork(timeout: min(pollInterval, max(0.2, queue.leaseSeconds / 2)), stop: stop)
            }
        }
        summary.interrupted = stop.isSet
        logger.info("queue drained", metadata: ["processed": "\(summary.processed)", "failed": "\(summary.failed)"])
        return summary
    }

    /// Hashes every input and records it in the queue, keyed by its path relative to its input root.
    func scanAndEnqueue() throws {
        var found: [String: InputFile] = [:]
        var entries: [(source: String, contentHash: String)] = []
        for file in try InputEnumerator.files(in: spec.input.paths, include: spec.input.include) {
            do {
                entries.append((file.relative, try ContentHash.hex(ofFile: file.path)))
                found[file.relative] = file
            } catch {
                logger.error("cannot hash input", metadata: ["file": "\(file.path)", "error": "\(error)"])
            }
        }
        files = found
        let queued = try queue.enqueue(pipeline: spec.name, pipelineHash: pipelineHash, files: entries)
        logger.info("scan", metadata: ["files": "\(entries.count)", "queued": "\(queued)"])
    }

    private func work(on claim: QueueClaim, stop: StopFlag, summary: inout DaemonCycle.Summary) {
        activity.claimed()
        let started = Date()
        var windows = 0, tokens = 0
        if files[claim.source] == nil { try? scanAndEnqueue() }  // enqueued by another host since our scan
        guard let file = files[claim.source] else {
            finishFailed(claim, error: "\(claim.source): not found under \(spec.input.paths.joined(separator: ", ")) on this host",
                         started: started, summary: &summary)
            return
        }
        for step in spec.steps {
            OutputStaging.removeStale(beside: runner.layout.jsonl(step: step.id, relativeSource: file.relative), olderThan: claim.claimSeq)
            OutputStaging.removeStale(beside: runner.layout.markdown(step: step.id, relativeSource: file.relative), olderThan: claim.claimSeq)
        }
        let staging = OutputStaging(claimSeq: claim.claimSeq)
        runner.staging = staging
        let keeper = LeaseKeeper(queue: queue, claim: claim, logger: logger)
        defer {
            keeper.stop()
            runner.staging = nil
            staging.discard()
        }
        do {
            let outputs = try runner.process(file, onEvent: { [activity] event in
                if case .windowFinished(_, _, _, let generated, let seconds) = event {
                    windows += 1
                    tokens += generated
                    activity.window(tokens: generated, seconds: seconds)
                }
            }, shouldStop: { stop.isSet || keeper.lost })
            keeper.stop()
            let seconds = Date().timeIntervalSince(started)
            let committed = try queue.complete(claim, modelHash: modelHash, outputs: outputs.map(\.path), seconds: seconds) {
                try staging.commit()
            }
            guard committed else {
                leaseLost(claim, detail: "the fence refused the outputs: the file was claimed again (claim \(claim.claimSeq) is stale)",
                          started: started, windows: windows, tokens: tokens)
                return
            }
            summary.processed += 1
            activity.finished(.init(source: claim.source, outcome: .done, seconds: seconds, windows: windows, tokens: tokens))
            logger.info("file done", metadata: [
                "file": "\(claim.source)", "windows": "\(windows)", "outputs": "\(outputs.count)", "attempt": "\(claim.attempt)",
                "claim": "\(claim.claimSeq)", "seconds": "\(String(format: "%.2f", seconds))",
            ])
        } catch is CancellationError {
            if keeper.lost {
                leaseLost(claim, detail: "lease lost while working: another daemon took the file over", started: started, windows: windows, tokens: tokens)
            } else {
                summary.interrupted = true
                do { try queue.release(claim) } catch { logger.warning("could not release the claim", metadata: ["error": "\(error)"]) }
                logger.notice("stopping: the file goes back to the queue", metadata: ["file": "\(claim.source)"])
            }
        } catch {
            finishFailed(claim, error: "\(error)", started: started, summary: &summary, windows: windows, tokens: tokens)
        }
    }

    private func leaseLost(_ claim: QueueClaim, detail: String, started: Date, windows: Int, tokens: Int) {
        activity.finished(.init(source: claim.source, outcome: .leaseLost, seconds: Date().timeIntervalSince(started),
                                windows: windows, tokens: tokens, error: detail))
        logger.warning("lease lost", metadata: ["file": "\(claim.source)", "claim": "\(claim.claimSeq)", "detail": "\(detail)"])
        do { try queue.recordLeaseLost(claim, detail: detail) } catch { logger.warning("could not record the lost lease", metadata: ["error": "\(error)"]) }
    }

    private func finishFailed(_ claim: QueueClaim, error: String, started: Date, summary: inout DaemonCycle.Summary,
                              windows: Int = 0, tokens: Int = 0) {
        let seconds = Date().timeIntervalSince(started)
        let outcome: QueueFailure
        do {
            outcome = try queue.fail(claim, error: error)
        } catch let recording {
            logger.error("file failed and the failure could not be recorded", metadata: ["file": "\(claim.source)", "error": "\(error)", "ledger": "\(recording)"])
            return
        }
        switch outcome {
        case .refused:
            leaseLost(claim, detail: "failed after the lease was lost: \(error)", started: started, windows: windows, tokens: tokens)
        case .retry(let at):
            summary.failed += 1
            activity.finished(.init(source: claim.source, outcome: .failed, seconds: seconds, windows: windows, tokens: tokens, error: error))
            logger.error("file failed", metadata: ["file": "\(claim.source)", "error": "\(error)", "attempt": "\(claim.attempt)", "retry_at": "\(at)"])
        case .dead:
            summary.failed += 1
            activity.finished(.init(source: claim.source, outcome: .dead, seconds: seconds, windows: windows, tokens: tokens, error: error))
            logger.error("file dead", metadata: ["file": "\(claim.source)", "error": "\(error)", "attempts": "\(claim.attempt)"])
        }
    }
}
