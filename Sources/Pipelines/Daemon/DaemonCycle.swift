import Foundation
import Logging

/// One pass of the daemon over its inputs: every new or changed file (by content hash, under this pipeline's
/// hash) is processed; done-and-unchanged files are skipped; failed ones wait for their retry time. Outputs
/// are on disk (atomically) before the ledger says "done", so a crash at any point only ever causes a
/// redo, which writes the same bytes again (seeds derive from the pipeline and the window).
public final class DaemonCycle {
    public struct Summary: Equatable, Sendable {
        public var processed = 0
        public var upToDate = 0
        public var failed = 0
        public var waiting = 0
        /// Left to the next cycle: still being written, or changed while being processed.
        public var deferred = 0
        public var interrupted = false

        public init() {}
    }

    public let spec: PipelineSpec
    public let pipelineHash: String
    public let modelHash: String
    public let runner: PipelineRunner
    public let ledger: any Ledger
    public let settling: InputSettling
    /// Fed with what happens, for `--http`.
    public var activity: DaemonActivity?
    private let logger: Logger

    public init(spec: PipelineSpec, pipelineHash: String, modelHash: String, runner: PipelineRunner, ledger: any Ledger, logger: Logger,
                settling: InputSettling = InputSettling()) {
        self.spec = spec
        self.pipelineHash = pipelineHash
        self.modelHash = modelHash
        self.runner = runner
        self.ledger = ledger
        self.settling = settling
        self.logger = logger
    }

    /// One cycle. Files due for processing stream through the runner (and so through the batched engine)
    /// one after another without waiting for each other: while one file's last windows decode, the next one's
    /// are read. Each file's outcome reaches the ledger as soon as its outputs are written.
    public func run(stop: StopFlag, now: () -> Date = Date.init) throws -> Summary {
        Self.removeStrayTemporaries(under: runner.layout.directory)
        var summary = Summary()
        let listed = try InputEnumerator.files(in: spec.input.paths, include: spec.input.include)
        // Files still being written go last, so that waiting for them delays no other file.
        var files = (listed.filter { $0.problem != nil || settling.isQuiet($0.path) } + listed.filter { $0.problem == nil && !settling.isQuiet($0.path) })[...]
        var claimed: [String: Claim] = [:]
        var windows: [String: Int] = [:]
        var stopped = false
        try runner.process(nextFile: {
            while let file = files.popFirst() {
                if stop.isSet { break }
                switch self.claim(file, stop: stop, now: now, summary: &summary) {
                case .process(let claim):
                    claimed[file.path] = claim
                    return file
                case .skip: continue
                case .stop: stopped = true; return nil
                }
            }
            if stop.isSet || !files.isEmpty { stopped = true }
            return nil
        }, completed: { file, outcome in
            guard var claim = claimed.removeValue(forKey: file.path) else { return }
            claim.windows = windows.removeValue(forKey: file.path) ?? 0
            if self.finish(file, claim: claim, outcome: outcome, now: now, summary: &summary) == .stop { stopped = true }
        }, onEvent: { [activity] event in
            if case .fileStarted(let file, let count, _) = event { windows[file.path] = count }
            activity?.record(event)
        }, shouldStop: { stop.isSet })
        if stopped { summary.interrupted = true; return summary }
        logger.info("cycle", metadata: ["processed": "\(summary.processed)", "up_to_date": "\(summary.upToDate)",
                                        "failed": "\(summary.failed)", "waiting": "\(summary.waiting)", "deferred": "\(summary.deferred)"])
        return summary
    }

    private enum Next { case next, stop }

    /// A file taken for processing: what was read and hashed, and when.
    private struct Claim {
        var before: FileStamp
        var contentHash: String
        var attempt: Int
        var started: Date
        var windows = 0
    }

    private enum ClaimOutcome { case process(Claim), skip, stop }

    /// Everything before a file's windows run: a listed problem, the wait until it is settled, its hash and
    /// the ledger's decision. Every failure is the file's (logged with its name, recorded with a backoff where
    /// the ledger can take it) and the cycle goes on to the next file, the ledger's own failures included.
    private func claim(_ file: InputFile, stop: StopFlag, now: () -> Date, summary: inout Summary) -> ClaimOutcome {
        let started = Date()
        if let problem = file.problem {
            fail(file, contentHash: Self.unreadableMark(file.path), error: "\(file.path): \(problem)", now: now, summary: &summary)
            return .skip
        }
        let before: FileStamp
        switch settling.waitUntilSettled(file.path, stop: stop) {
        case .settled(let stamp): before = stamp
        case .stillChanging:
            if stop.isSet { return .stop }
            summary.deferred += 1
            logger.notice("file still being written: left to the next cycle", metadata: ["file": "\(file.path)"])
            return .skip
        case .unknown:
            summary.deferred += 1
            logger.notice("file removed since the folder was listed", metadata: ["file": "\(file.path)"])
            return .skip
        }
        let contentHash: String
        do {
            contentHash = try ContentHash.hex(ofFile: file.path)
        } catch {
            // Unreadable (permissions, I/O error): recorded like any failure, so it waits for its retry time.
            fail(file, contentHash: Self.unreadableMark(file.path), error: ErrorText.oneLine(error), now: now, summary: &summary)
            return .skip
        }
        let decision: LedgerDecision
        do {
            decision = try ledger.decision(pipeline: spec.name, source: file.path, contentHash: contentHash, pipelineHash: pipelineHash, now: now())
        } catch {
            summary.failed += 1
            logger.error("file skipped: the state database cannot be read", metadata: ["file": "\(file.path)", "error": "\(ErrorText.oneLine(error))"])
            return .skip
        }
        switch decision {
        case .upToDate:
            summary.upToDate += 1
            return .skip
        case .waitingForRetry(let until):
            summary.waiting += 1
            logger.debug("waiting for retry", metadata: ["file": "\(file.path)", "retry_at": "\(until)"])
            return .skip
        case .process(let attempt):
            activity?.claimed()
            return .process(Claim(before: before, contentHash: contentHash, attempt: attempt, started: started))
        }
    }

    /// Everything after a file's windows ran: its outcome into the ledger.
    private func finish(_ file: InputFile, claim: Claim, outcome: Result<[URL], Error>, now: () -> Date, summary: inout Summary) -> Next {
        let outputs: [URL]
        switch outcome {
        case .failure(let error) where error is CancellationError:
            logger.notice("stopping: the file will be processed again on the next start", metadata: ["file": "\(file.path)"])
            return .stop
        case .failure(let error):
            fail(file, contentHash: claim.contentHash, error: ErrorText.oneLine(error), attempt: claim.attempt, now: now, summary: &summary)
            activity?.finished(.init(source: file.path, outcome: .failed, seconds: Date().timeIntervalSince(claim.started), windows: claim.windows,
                                     tokens: 0, error: ErrorText.oneLine(error)))
            return .next
        case .success(let written):
            outputs = written
        }
        // What was read must be what was hashed: a file edited or truncated meanwhile is done again, whole.
        if Self.changed(file.path, since: claim.before, hash: claim.contentHash) {
            summary.deferred += 1
            logger.notice("file changed while being processed: its outputs are redone on the next cycle", metadata: ["file": "\(file.path)"])
            return .next
        }
        do {
            try ledger.markDone(pipeline: spec.name, source: file.path, contentHash: claim.contentHash, pipelineHash: pipelineHash,
                                modelHash: modelHash, outputs: outputs.map(\.path), now: now())
        } catch {
            summary.failed += 1
            logger.error("outputs written but not recorded: the file is processed again on the next cycle", metadata: [
                "file": "\(file.path)", "error": "\(ErrorText.oneLine(error))"])
            return .next
        }
        summary.processed += 1
        activity?.finished(.init(source: file.path, outcome: .done, seconds: Date().timeIntervalSince(claim.started), windows: claim.windows, tokens: 0))
        logger.info("file done", metadata: [
            "file": "\(file.path)", "windows": "\(claim.windows)", "outputs": "\(outputs.count)", "attempt": "\(claim.attempt)",
            "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(claim.started)))",
        ])
        return .next
    }

    /// Records a failure; a ledger that cannot record it is logged too, and the file comes back next cycle.
    private func fail(_ file: InputFile, contentHash: String, error: String, attempt: Int? = nil, now: () -> Date, summary: inout Summary) {
        summary.failed += 1
        do {
            if attempt == nil, case .waitingForRetry = try ledger.decision(pipeline: spec.name, source: file.path, contentHash: contentHash,
                                                                             pipelineHash: pipelineHash, now: now()) {
                // Unreadable as before and not yet due: it already has its failure row.
                summary.failed -= 1
                summary.waiting += 1
                return
            }
            let retry = try ledger.markFailed(pipeline: spec.name, source: file.path, contentHash: contentHash,
                                              pipelineHash: pipelineHash, error: error, now: now())
            logger.error("file failed", metadata: ["file": "\(file.path)", "error": "\(error)", "attempt": "\(attempt.map { "\($0)" } ?? "-")",
                                                   "retry_at": "\(retry)"])
        } catch let ledgerError {
            logger.error("file failed, and the state database cannot record it", metadata: [
                "file": "\(file.path)", "error": "\(error)", "state_error": "\(ErrorText.oneLine(ledgerError))"])
        }
    }

    /// Stands for the content of a file that cannot be read: its status (size, times, mode) as `lstat` sees it,
    /// so that the same unreadable file waits for its retry time, and a change to it (chmod included, which
    /// moves its ctime) is tried at once.
    static func unreadableMark(_ path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "unreadable:missing" }
        return "unreadable:" + ContentHash.hex(Array("\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec) \(info.st_mode)".utf8))
    }

    /// Whether the file moved since it was stamped and hashed.
    static func changed(_ path: String, since stamp: FileStamp, hash: String) -> Bool {
        guard let now = try? FileStamp(path: path), now == stamp else { return true }
        return (try? ContentHash.hex(ofFile: path)) != hash
    }

    /// A writer killed mid-file leaves a `.tmp-*` beside the output; nothing reads them, and they go here.
    static func removeStrayTemporaries(under directory: URL) {
        AtomicFile.removeStrayTemporaries(in: directory)
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey]) else { return }
        for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
            AtomicFile.removeStrayTemporaries(in: url)
        }
    }

    /// When the next cycle starts.
    public static func nextRun(after date: Date, schedule: ScheduleSpec) -> Date {
        switch schedule {
        case .every(let interval): return date.addingTimeInterval(TimeInterval(max(1, interval.seconds)))
        case .cron(let cron): return cron.nextFire(after: date) ?? date.addingTimeInterval(86_400)
        }
    }
}
