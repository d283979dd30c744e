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
        public var interrupted = false

        public init() {}
    }

    public let spec: PipelineSpec
    public let pipelineHash: String
    public let modelHash: String
    public let runner: PipelineRunner
    public let ledger: any Ledger
    private let logger: Logger

    public init(spec: PipelineSpec, pipelineHash: String, modelHash: String, runner: PipelineRunner, ledger: any Ledger, logger: Logger) {
        self.spec = spec
        self.pipelineHash = pipelineHash
        self.modelHash = modelHash
        self.runner = runner
        self.ledger = ledger
        self.logger = logger
    }

    public func run(stop: StopFlag, now: () -> Date = Date.init) throws -> Summary {
        Self.removeStrayTemporaries(under: runner.layout.directory)
        var summary = Summary()
        let files = try InputEnumerator.files(in: spec.input.paths, include: spec.input.include)
        for file in files {
            if stop.isSet { summary.interrupted = true; break }
            let started = Date()
            let contentHash: String
            do {
                contentHash = try ContentHash.hex(ofFile: file.path)
            } catch {
                summary.failed += 1
                logger.error("file failed", metadata: ["file": "\(file.path)", "error": "\(error)"])
                continue
            }
            switch try ledger.decision(pipeline: spec.name, source: file.path, contentHash: contentHash, pipelineHash: pipelineHash, now: now()) {
            case .upToDate:
                summary.upToDate += 1
            case .waitingForRetry(let until):
                summary.waiting += 1
                logger.debug("waiting for retry", metadata: ["file": "\(file.path)", "retry_at": "\(until)"])
            case .process(let attempt):
                var windows = 0
                do {
                    let outputs = try runner.process(file, onEvent: { event in
                        if case .fileStarted(_, let count, _) = event { windows = count }
                    }, shouldStop: { stop.isSet })
                    try ledger.markDone(pipeline: spec.name, source: file.path, contentHash: contentHash, pipelineHash: pipelineHash,
                                        modelHash: modelHash, outputs: outputs.map(\.path), now: now())
                    summary.processed += 1
                    logger.info("file done", metadata: [
                        "file": "\(file.path)", "windows": "\(windows)", "outputs": "\(outputs.count)", "attempt": "\(attempt)",
                        "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))",
                    ])
                } catch is CancellationError {
                    summary.interrupted = true
                    logger.notice("stopping: the file will be processed again on the next start", metadata: ["file": "\(file.path)"])
                    return summary
                } catch {
                    let retry = try ledger.markFailed(pipeline: spec.name, source: file.path, contentHash: contentHash,
                                                      pipelineHash: pipelineHash, error: "\(error)", now: now())
                    summary.failed += 1
                    logger.error("file failed", metadata: ["file": "\(file.path)", "error": "\(error)", "attempt": "\(attempt)", "retry_at": "\(retry)"])
                }
            }
        }
        logger.info("cycle", metadata: ["processed": "\(summary.processed)", "up_to_date": "\(summary.upToDate)",
                                        "failed": "\(summary.failed)", "waiting": "\(summary.waiting)"])
        return summary
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
