import ArgumentParser
import Foundation
import Logging
import Pipelines
import ServiceLifecycle

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run a pipeline on a schedule over its input folders, processing new or changed files only.",
        discussion: """
            State (what was done, with which pipeline and model, failures and their retry times) lives in a SQLite \
            database, by default <output>/.claire-pipeline-state.sqlite. One daemon per state database. Outputs are \
            written atomically before the state records them, so kill -9 at any moment loses nothing: the file is \
            processed again on restart and its outputs are rewritten identically. SIGTERM or SIGINT finishes the \
            current window, records what is complete and exits 0. Logs: one line per file on stderr.
            """
    )

    @OptionGroup var options: PipelineOptions

    @Option(help: "Run every DURATION (e.g. 30s, 10m, 1h); replaces the pipeline's schedule.")
    var every: String?

    @Option(help: "Run at the times of a 5-field cron expression; replaces the pipeline's schedule.")
    var cron: String?

    @Option(help: "The state database (default: inside the output folder).")
    var state: String?

    @Flag(help: "Run one cycle and exit (status 1 if a file failed).")
    var once = false

    func validate() throws {
        if every != nil && cron != nil { throw ValidationError("give --every or --cron, not both") }
    }

    func run() async throws {
        let spec = try options.loadSpec()
        let schedule = try resolvedSchedule(spec)
        guard once || schedule != nil else {
            throw CLIError("\(options.pipeline): no schedule; give --every, --cron or a schedule in the pipeline, or --once")
        }
        try FileManager.default.createDirectory(atPath: spec.output.dir, withIntermediateDirectories: true)
        let statePath = state ?? (spec.output.dir as NSString).appendingPathComponent(".claire-pipeline-state.sqlite")
        let lock = try DaemonLock(besideDatabase: statePath)
        let ledger = try Ledger(path: statePath)
        var logger = Logger(label: "claire-pipeline.daemon")
        logger.logLevel = .info

        // The pipeline's identity covers what the command line replaced.
        var identity = [UInt8](try Data(contentsOf: URL(fileURLWithPath: options.pipeline)))
        identity += Array("\n# model=\(spec.model.path) input=\(spec.input.paths) output=\(spec.output.dir)".utf8)
        let pipelineHash = ContentHash.hex(identity)
        let modelHash = try ContentHash.hex(ofTree: spec.model.path)
        let (engine, preparer) = try PipelineOptions.engine(for: spec)
        // The daemon logs one line per file itself; the runner's own line would repeat it.
        var quietRunner = logger
        quietRunner.logLevel = .warning
        let runner = PipelineRunner(spec: spec, output: spec.output.dir, generator: engine, preparer: preparer, logger: quietRunner)
        let cycle = DaemonCycle(spec: spec, pipelineHash: pipelineHash, modelHash: modelHash, runner: runner, ledger: ledger, logger: logger)
        let stop = StopFlag()
        let service = DaemonService(cycle: cycle, schedule: once ? nil : schedule, stop: stop, logger: logger)
        // The loop returning (after --once, or after a shutdown request) ends the group normally.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        withExtendedLifetime(lock) {}
        if once, service.result.failed > 0 { throw ExitCode(1) }
    }

    func resolvedSchedule(_ spec: PipelineSpec) throws -> ScheduleSpec? {
        if let every {
            switch ScheduleInterval.parse(every) {
            case .success(let interval): return .every(interval)
            case .failure(let error): throw ValidationError("--every \(every): \(error)")
            }
        }
        if let cron {
            switch CronExpression.parse(cron) {
            case .success(let expression): return .cron(expression)
            case .failure(let error): throw ValidationError("--cron \(cron): \(error)")
            }
        }
        return spec.schedule
    }
}

/// The daemon's loop as a service: cycles on the schedule; graceful shutdown (SIGTERM/SIGINT through the
/// service group) sets the stop flag, which the runner checks between windows and the sleep wakes on.
final class DaemonService: Service, @unchecked Sendable {
    let cycle: DaemonCycle
    let schedule: ScheduleSpec?
    let stop: StopFlag
    let logger: Logger
    private(set) var result = DaemonCycle.Summary()

    init(cycle: DaemonCycle, schedule: ScheduleSpec?, stop: StopFlag, logger: Logger) {
        self.cycle = cycle
        self.schedule = schedule
        self.stop = stop
        self.logger = logger
    }

    func run() async throws {
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
        while true {
            let started = Date()
            result = try cycle.run(stop: stop)
            guard let schedule, !stop.isSet else { return }
            let next = DaemonCycle.nextRun(after: started, schedule: schedule)
            logger.info("next cycle", metadata: ["at": "\(ISO8601DateFormatter().string(from: next))"])
            if stop.sleep(until: next) { return }
        }
    }
}
