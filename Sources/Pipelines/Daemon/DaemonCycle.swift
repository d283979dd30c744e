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

    public func run(stop: StopFlag, now: () -> Date = Date.init) throws -> Summary {
        Self.removeStrayTemporaries(under: runner.layout.directory)
        var summary = Summary()
        let listed = try InputEnumerator.files(in: spec.input.paths, include: spec.input.include)
        // Files still being written go last, so that waiting for them delays no other file.
        let files = listed.filter { $0.problem != nil || settling.isQuiet($0.path) } + listed.filter { $0.problem == nil && !settling.isQuiet($0.path) }
        for file in files {
            if stop.isSet { summary.interrupted = true; break }
            if process(file, stop: stop, now: now, summary: &summary) == .stop { return summary }
        }
        logger.info("cycle", metadata: ["processed": "\(summary.processed)", "up_to_date": "\(summary.upToDate)",
                                        "failed": "\(summary.failed)", "waiting": "\(summary.waiting)", "deferred": "\(summary.deferred)"])
        return summary
    }

    private enum Next { case next, stop }

    /// One file, start to end. Every failure is the file's (logged with its name, recorded with a backoff where
    /// the ledger can take it) and the cycle goes on to the next file, the ledger's own failures included.
    private func process(_ file: InputFile, stop: StopFlag, now: () -> Date, summary: inout Summary) -> Next {
        let started = Date()
        if let problem = file.problem {
            fail(file, contentHash: Self.unreadableMark(file.path), error: "\(file.path): \(problem)", now: now, summary: &summary)
            return .next
        }
        let before: FileStamp
        switch settling.waitUntilSettled(file.path, stop: stop) {
        case .settled(let stamp): before = stamp
        case .stillChanging:
            if stop.isSet { summary.interrupted = true; return .stop }
            summary.deferred += 1
            logger.notice("file still being written: left to the next cycle", metadata: ["file": "\(file.path)"])
            return .next
        case .unknown:
            summary.deferred += 1
            logger.notice("file removed since the folder was listed", metadata: ["file": "\(file.path)"])
            return .next
        }
        let contentHash: String
        do {
            contentHash = try ContentHash.hex(ofFile: file.path)
        } catch {
            // Unreadable (permissions, I/O error): recorded like any failure, so it waits for its retry time.
            fail(file, contentHash: Self.unreadableMark(file.path), error: ErrorText.oneLine(error), now: now, summary: &summary)
            return .next
        }
        let decision: LedgerDecision
        do {
            decision = try ledger.decision(pipeline: spec.name, source: file.path, contentHash: contentHash, pipelineHash: pipelineHash, now: now())
        } catch {
            summary.failed += 1
            logger.error("file skipped: the state database cannot be read", metadata: ["file": "\(file.path)", "error": "\(ErrorText.oneLine(error))"])
            return .next
        }
        switch decision {
        case .upToDate:
            summary.upToDate += 1
        case .waitingForRetry(let until):
            summary.waiting += 1
            logger.debug("waiting for retry", metadata: ["file": "\(file.path)", "retry_at": "\(until)"])
        case .process(let attempt):
            var windows = 0
            let outputs: [URL]
            do {
                outputs = try runner.process(file, onEvent: { event in
                    if case .fileStarted(_, let count, _) = event { windows = count }
                }, shouldStop: { stop.isSet })
            } catch is CancellationError {
                summary.interrupted = true
                logger.notice("stopping: the file will be processed again on the next start", metadata: ["file": "\(file.path)"])
                return .stop
            } catch {
                fail(file, contentHash: contentHash, error: ErrorText.oneLine(error), attempt: attempt, now: now, summary: &summary)
                return .next
            }
            // What was read must be what was hashed: a file edited or truncated meanwhile is done again, whole.
            if Self.changed(file.path, since: before, hash: contentHash) {
                summary.deferred += 1
                logger.notice("file changed while being processed: its outputs are redone on the next cycle", metadata: ["file": "\(file.path)"])
                return .next
            }
            do {
                try ledger.markDone(pipeline: spec.name, source: file.path, contentHash: contentHash, pipelineHash: pipelineHash,
                                    modelHash: modelHash, outputs: outputs.map(\.path), now: now())
            } catch {
                summary.failed += 1
                logger.error("outputs written but not recorded: the file is processed again on the next cycle", metadata: [
                    "file": "\(file.path)", "error": "\(ErrorText.oneLine(error))"])
                return .next
            }
            summary.processed += 1
            logger.info("file done", metadata: [
                "file": "\(file.path)", "windows": "\(windows)", "outputs": "\(outputs.count)", "attempt": "\(attempt)",
                "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
            ])
        }
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
