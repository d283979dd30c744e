import Foundation
import Logging

/// The daemon's loop over a shared queue (several daemons, possibly on several hosts): scan the inputs and
/// enqueue new or changed files, then stream claimed files through the runner (and so through the batched
/// engine) until none is ready, then sleep until another daemon announces work (LISTEN/NOTIFY), the poll
/// interval passes or the next scan is due.
///
/// A file is claimed only when the runner has room for it, and is worked under a lease that a `LeaseKeeper`
/// renews. Its outputs are staged as temporaries tagged with the claim counter (`.tmp-c42-…`) and renamed into
/// place inside the queue's fenced `complete`, in the same transaction that marks the file done: a daemon
/// that lost its lease (paused, partitioned) neither marks the file done nor replaces the newer claim's
/// outputs.
public final class SharedQueueCycle {
    public let spec: PipelineSpec
    public let pipelineHash: String
    public let modelHash: String
    public let runner: PipelineRunner
    public let queue: SharedQueue
    /// Who holds the claims: `host/pid` by default, shown in `status` and the events.
    public let owner: String
    public let activity: DaemonActivity
    public let settling: InputSettling
    /// How often an idle daemon looks for work when no notification comes (NOTIFY is not persisted).
    public var pollInterval: TimeInterval = 5
    private let logger: Logger
    /// The inputs of the last scan, by their path relative to their input root (the queue's key).
    private var files: [String: InputFile] = [:]

    public init(spec: PipelineSpec, pipelineHash: String, modelHash: String, runner: PipelineRunner, queue: SharedQueue,
                owner: String = SharedQueueCycle.defaultOwner, activity: DaemonActivity, settling: InputSettling = InputSettling(),
                logger: Logger) {
        self.spec = spec
        self.pipelineHash = pipelineHash
        self.modelHash = modelHash
        self.runner = runner
        self.queue = queue
        self.owner = owner
        self.activity = activity
        self.settling = settling
        self.logger = logger
    }

    public static var defaultOwner: String { "\(ProcessInfo.processInfo.hostName)/\(getpid())" }

    /// The claim's fenced commit refused the outputs: the file was claimed again since.
    struct LeaseLost: Error, CustomStringConvertible {
        var description: String
    }

    /// Without a schedule (`--once`): returns when no work is left for anyone — nothing ready, nothing running
    /// elsewhere whose lease could still expire, and no input of ours still being written. With one: runs
    /// until `stop`, scanning on schedule. Either way, inputs still being written when a scan saw them are
    /// looked at again shortly, for up to `settling.limit` after that scan (as a single daemon's cycle waits
    /// for them), then left to the next scheduled scan.
    public func run(stop: StopFlag, schedule: ScheduleSpec?) throws -> DaemonCycle.Summary {
        var summary = DaemonCycle.Summary()
        var scanned = Date()
        var unsettled = try scanAndEnqueue()
        var nextScan = schedule.map { DaemonCycle.nextRun(after: scanned, schedule: $0) }
        while !stop.isSet {
            try drain(stop: stop, summary: &summary)
            if stop.isSet { break }
            if unsettled > 0, Date().timeIntervalSince(scanned) < settling.limit {
                _ = stop.sleep(until: Date().addingTimeInterval(min(pollInterval, max(0.05, settling.quiet / 4))))
                unsettled = try scanAndEnqueue()
                continue
            }
            summary.deferred += unsettled
            unsettled = 0
            if let scanAt = nextScan, let schedule {
                queue.waitForWork(timeout: min(pollInterval, max(0, scanAt.timeIntervalSinceNow)), stop: stop)
                if Date() >= scanAt {
                    scanned = Date()
                    unsettled = try scanAndEnqueue()
                    nextScan = DaemonCycle.nextRun(after: scanned, schedule: schedule)
                }
            } else {
                guard try queue.hasOutstandingWork(pipeline: spec.name) else { break }
                queue.waitForWork(timeout: min(pollInterval, max(0.2, queue.leaseSeconds / 2)), stop: stop)
            }
        }
        summary.interrupted = stop.isSet
        logger.info("queue drained", metadata: ["processed": "\(summary.processed)", "failed": "\(summary.failed)", "deferred": "\(summary.deferred)"])
        return summary
    }

    /// Hashes every settled input and records it in the queue, keyed by its path relative to its input root.
    /// An input that cannot be read is recorded too (under `DaemonCycle.unreadableMark`), so that its claim
    /// fails and the queue shows its error. Returns how many inputs were left for still being written.
    @discardableResult
    func scanAndEnqueue() throws -> Int {
        var found: [String: InputFile] = [:]
        var entries: [(source: String, contentHash: String)] = []
        var unsettled = 0
        for file in try InputEnumerator.files(in: spec.input.paths, include: spec.input.include) {
            if file.problem == nil, !settling.isQuiet(file.path) {
                unsettled += 1
                continue
            }
            let contentHash = file.problem == nil ? (try? ContentHash.hex(ofFile: file.path)) : nil
            entries.append((file.relative, contentHash ?? DaemonCycle.unreadableMark(file.path)))
            found[file.relative] = file
        }
        files = found
        let queued = try queue.enqueue(pipeline: spec.name, pipelineHash: pipelineHash, files: entries)
        logger.info("scan", metadata: ["files": "\(entries.count)", "queued": "\(queued)", "still_written": "\(unsettled)"])
        return unsettled
    }

    /// A claim being worked on.
    private struct Work {
        var claim: QueueClaim
        var keeper: LeaseKeeper
        var started = Date()
        var windows = 0
        var tokens = 0
    }

    /// Claims ready files one at a time as the runner has room for them, until none is ready (or `stop`); returns
    /// when the files claimed are finished.
    private func drain(stop: StopFlag, summary: inout DaemonCycle.Summary) throws {
        var working: [String: Work] = [:]  // by the file's path
        defer { for work in working.values { work.keeper.stop() } }
        try runner.process(nextFile: {
            while !stop.isSet, let claim = try self.queue.claim(pipeline: self.spec.name, owner: self.owner) {
                self.activity.claimed()
                if self.files[claim.source] == nil { _ = try? self.scanAndEnqueue() }  // enqueued by another host since our scan
                guard let file = self.files[claim.source] else {
                    self.finishFailed(claim, error: "\(claim.source): not found under \(self.spec.input.paths.joined(separator: ", ")) on this host",
                                      started: Date(), summary: &summary)
                    continue
                }
                self.removeStaleTemporaries(of: file, before: claim.claimSeq)
                working[file.path] = Work(claim: claim, keeper: LeaseKeeper(queue: self.queue, claim: claim, logger: self.logger))
                return file
            }
            return nil
        }, completed: { file, outcome in
            guard let work = working.removeValue(forKey: file.path) else { return }
            work.keeper.stop()
            self.finish(work, outcome: outcome, summary: &summary)
        }, commit: { file, outputs in
            guard let work = working[file.path] else { throw LeaseLost(description: "\(file.path): no claim") }
            return try self.commit(outputs, of: work)
        }, onEvent: { event in
            if case .windowFinished(let file, _, _, _, let tokens, let seconds) = event {
                working[file.path]?.windows += 1
                working[file.path]?.tokens += tokens
                self.activity.window(tokens: tokens, seconds: seconds)
            }
        }, shouldStop: { stop.isSet })
    }

    /// Stages the outputs (written and flushed beside their targets), then renames them into place inside the
    /// queue's fenced completion; a refused fence leaves nothing behind.
    private func commit(_ outputs: OutputSet, of work: Work) throws -> [URL] {
        let staged = try outputs.stage(tag: Self.temporaryTag(work.claim.claimSeq))
        let committed: Bool
        do {
            committed = try queue.complete(work.claim, modelHash: modelHash, outputs: staged.urls.map(\.path),
                                           seconds: Date().timeIntervalSince(work.started)) {
                try staged.place()
            }
        } catch {
            staged.discard()
            throw error
        }
        guard committed else {
            staged.discard()
            throw LeaseLost(description: "the fence refused the outputs: the file was claimed again (claim \(work.claim.claimSeq) is stale)")
        }
        return staged.urls
    }

    /// A file's outcome, once the runner is done with it (its outputs committed, or its error).
    private func finish(_ work: Work, outcome: Result<[URL], Error>, summary: inout DaemonCycle.Summary) {
        let claim = work.claim
        switch outcome {
        case .success(let outputs):
            let seconds = Date().timeIntervalSince(work.started)
            summary.processed += 1
            activity.finished(.init(source: claim.source, outcome: .done, seconds: seconds, windows: work.windows, tokens: work.tokens))
            logger.info("file done", metadata: [
                "file": "\(claim.source)", "windows": "\(work.windows)", "outputs": "\(outputs.count)", "attempt": "\(claim.attempt)",
                "claim": "\(claim.claimSeq)", "seconds": "\(String(format: "%.2f", seconds))",
            ])
        case .failure(let error as LeaseLost):
            leaseLost(claim, detail: error.description, started: work.started, windows: work.windows, tokens: work.tokens)
        case .failure(let error) where error is CancellationError:
            if work.keeper.lost {
                leaseLost(claim, detail: "lease lost while working: another daemon took the file over", started: work.started,
                          windows: work.windows, tokens: work.tokens)
            } else {
                summary.interrupted = true
                do { try queue.release(claim) } catch { logger.warning("could not release the claim", metadata: ["error": "\(ErrorText.oneLine(error))"]) }
                logger.notice("stopping: the file goes back to the queue", metadata: ["file": "\(claim.source)"])
            }
        case .failure(let error):
            finishFailed(claim, error: ErrorText.oneLine(error), started: work.started, summary: &summary, windows: work.windows, tokens: work.tokens)
        }
    }

    private func leaseLost(_ claim: QueueClaim, detail: String, started: Date, windows: Int, tokens: Int) {
        activity.finished(.init(source: claim.source, outcome: .leaseLost, seconds: Date().timeIntervalSince(started),
                                windows: windows, tokens: tokens, error: detail))
        logger.warning("lease lost", metadata: ["file": "\(claim.source)", "claim": "\(claim.claimSeq)", "detail": "\(detail)"])
        do { try queue.recordLeaseLost(claim, detail: detail) } catch {
            logger.warning("could not record the lost lease", metadata: ["error": "\(ErrorText.oneLine(error))"])
        }
    }

    private func finishFailed(_ claim: QueueClaim, error: String, started: Date, summary: inout DaemonCycle.Summary,
                              windows: Int = 0, tokens: Int = 0) {
        let seconds = Date().timeIntervalSince(started)
        let outcome: QueueFailure
        do {
            outcome = try queue.fail(claim, error: error)
        } catch let recording {
            summary.failed += 1
            logger.error("file failed and the failure could not be recorded", metadata: [
                "file": "\(claim.source)", "error": "\(error)", "state_error": "\(ErrorText.oneLine(recording))"])
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

    /// The tag of a claim's staged outputs: `c` and the claim counter.
    static func temporaryTag(_ claimSeq: Int64) -> String { "c\(claimSeq)" }

    /// Removes temporaries that earlier claims of the file left beside its outputs (a killed daemon's, between
    /// staging and commit): they can never be committed, since their claim counter is no longer the latest.
    /// Other daemons' temporaries of other files, or of this claim, are left alone.
    private func removeStaleTemporaries(of file: InputFile, before claimSeq: Int64) {
        var targets = spec.steps.map { runner.layout.jsonl(step: $0.id, relativeSource: file.relative) }
        if spec.output.markdown { targets += spec.steps.map { runner.layout.markdown(step: $0.id, relativeSource: file.relative) } }
        let claimPrefix = AtomicFile.temporaryPrefix + "c"
        for target in targets {
            let directory = target.deletingLastPathComponent()
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            for name in names where name.hasPrefix(claimPrefix) && name.hasSuffix("-" + target.lastPathComponent) {
                let digits = name.dropFirst(claimPrefix.count).prefix { $0.isNumber }
                if let seq = Int64(digits), seq < claimSeq { unlink(directory.appendingPathComponent(name).path) }
            }
        }
    }
}
