import Foundation
import Logging
import ServiceLifecycle

/// A pipeline run on a schedule, as a service: it owns the lock on its state, the ledger, the pipeline's
/// identity and the loop of cycles. Graceful shutdown (SIGTERM/SIGINT through the service group) sets the stop
/// flag, which the runner checks between windows and the sleep between cycles wakes on. Without a schedule it
/// runs one cycle and returns.
public final class Daemon: Service, @unchecked Sendable {  // `lastCycle` is written by the loop's thread only, read after `run` returns
    /// Builds the model side once the daemon holds its state, so a second daemon fails before loading a model.
    public typealias MakeRunner = (PipelineSpec) throws -> PipelineRunner

    public let spec: PipelineSpec
    public let schedule: ScheduleSpec?
    public let ledger: any Ledger
    public private(set) var identity: PipelineIdentity
    /// Replaced, with a newly loaded model, when the model's files change between cycles.
    public private(set) var cycle: DaemonCycle
    /// Set when the ledger is a queue shared with other daemons (`SharedQueue`): then it runs the loop.
    public private(set) var sharedCycle: SharedQueueCycle?
    /// Counters and recent files, for `--http`.
    public let activity: DaemonActivity
    public let stop = StopFlag()
    /// Held, not used: the `flock` lasts as long as the daemon.
    private let lock: DaemonLock?
    private let logger: Logger
    private let models: FileHashCache
    private let makeRunner: MakeRunner
    private let settling: InputSettling
    /// The model as it was when loaded.
    private var modelStamp: ModelStamp?
    /// The last cycle's counts (the only one with `--once`).
    public private(set) var lastCycle = DaemonCycle.Summary()

    /// `lock` is held for the daemon's life; a ledger that coordinates daemons itself passes none.
    public init(spec: PipelineSpec, schedule: ScheduleSpec?, ledger: any Ledger, lock: DaemonLock?, logger: Logger,
                models: FileHashCache = .process, settling: InputSettling = InputSettling(), makeRunner: @escaping MakeRunner) throws {
        self.spec = spec
        self.schedule = schedule
        self.ledger = ledger
        self.lock = lock
        self.logger = logger
        self.models = models
        self.makeRunner = makeRunner
        self.settling = settling
        let activity = DaemonActivity()
        self.activity = activity
        modelStamp = try? ModelStamp(path: spec.model.path)
        identity = try PipelineIdentity(spec: spec, models: models, store: ledger)
        (cycle, sharedCycle) = Self.cycles(spec: spec, identity: identity, runner: try makeRunner(spec), ledger: ledger, settling: settling,
                                           activity: activity, logger: logger)
    }

    /// The cycle over `ledger`, and the shared queue's when it is one, on one runner.
    private static func cycles(spec: PipelineSpec, identity: PipelineIdentity, runner: PipelineRunner, ledger: any Ledger, settling: InputSettling,
                               activity: DaemonActivity, logger: Logger) -> (DaemonCycle, SharedQueueCycle?) {
        let cycle = DaemonCycle(spec: spec, pipelineHash: identity.hash, modelHash: identity.modelHash, runner: runner,
                                ledger: ledger, logger: logger, settling: settling)
        cycle.activity = activity
        let shared = (ledger as? SharedQueue).map { queue in
            SharedQueueCycle(spec: spec, pipelineHash: identity.hash, modelHash: identity.modelHash, runner: runner,
                             queue: queue, activity: activity, settling: settling, logger: logger)
        }
        return (cycle, shared)
    }

    /// Before a cycle: the model must still be there, and is loaded again if it was replaced.
    private func checkModel() throws {
        let stamp = try ModelStamp(path: spec.model.path)
        guard stamp != modelStamp else { return }
        logger.notice("the model changed on disk: loading it again", metadata: ["model": "\(spec.model.path)"])
        let newIdentity = try PipelineIdentity(spec: spec, models: models, store: ledger)
        let runner = try makeRunner(spec)
        // Stamped after loading: a model still being copied shows as changed again next cycle.
        modelStamp = try ModelStamp(path: spec.model.path)
        identity = newIdentity
        (cycle, sharedCycle) = Self.cycles(spec: spec, identity: newIdentity, runner: runner, ledger: ledger, settling: settling,
                                           activity: activity, logger: logger)
    }

    /// The default state: a SQLite ledger inside the output folder.
    public static func defaultStatePath(for spec: PipelineSpec) -> String {
        (spec.output.dir as NSString).appendingPathComponent(".claire-pipeline-state.sqlite")
    }

    /// A daemon on a SQLite ledger at `statePath` (default `defaultStatePath(for:)`), locked against a second one.
    public static func sqlite(spec: PipelineSpec, statePath: String?, schedule: ScheduleSpec?, logger: Logger,
                              settling: InputSettling = InputSettling(), makeRunner: @escaping MakeRunner) throws -> Daemon {
        try FileManager.default.createDirectory(atPath: spec.output.dir, withIntermediateDirectories: true)
        let path = statePath ?? defaultStatePath(for: spec)
        let lock = try DaemonLock(besideDatabase: path)
        return try Daemon(spec: spec, schedule: schedule, ledger: try SQLiteLedger(path: path), lock: lock, logger: logger,
                          settling: settling, makeRunner: makeRunner)
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            // The engine is synchronous: the loop runs on its own thread so the signal handling stays responsive.
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                Thread.detachNewThread { [self] in
                    do {
                        try loop()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onGracefulShutdown: { [stop, logger] in
            logger.notice("shutdown requested: finishing the current window")
            stop.set()
        }
    }

    private func loop() throws {
        if let sharedCycle {
            // Runs until stopped (or, without a schedule, until no work is left for anyone); the model is
            // checked once, at start.
            lastCycle = try sharedCycle.run(stop: stop, schedule: schedule)
            return
        }
        while true {
            let started = Date()
            do {
                try checkModel()
                lastCycle = try cycle.run(stop: stop)
            } catch {
                // A missing model or an input folder gone: this cycle cannot run; a scheduled daemon tries again.
                guard schedule != nil else { throw error }
                logger.error("cycle skipped", metadata: ["error": "\(ErrorText.oneLine(error))"])
            }
            guard let schedule, !stop.isSet else { return }
            let next = DaemonCycle.nextRun(after: started, schedule: schedule)
            logger.info("next cycle", metadata: ["at": "\(ISO8601DateFormatter().string(from: next))"])
            if stop.sleep(until: next) { return }
        }
    }
}
