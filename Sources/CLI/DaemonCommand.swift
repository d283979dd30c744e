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

    @Option(help: "Seconds an input must stay unchanged before it is read (files still being copied or recorded wait).")
    var settle: Double = 2

    @Flag(help: "Run one cycle and exit (status 1 if a file failed).")
    var once = false

    func validate() throws {
        if every != nil && cron != nil { throw ValidationError("give --every or --cron, not both") }
        if !(settle >= 0 && settle <= 3600) { throw ValidationError("--settle \(settle): give seconds between 0 and 3600") }
    }

    func run() async throws {
        let spec = try options.loadSpec()
        let schedule = try resolvedSchedule(spec)
        guard once || schedule != nil else {
            throw CLIError("\(options.pipeline): no schedule; give --every, --cron or a schedule in the pipeline, or --once")
        }
        var logger = Logger(label: "claire-pipeline.daemon")
        logger.logLevel = .info
        // A file size limit (ulimit -f) is then a write error on one output, not the death of the daemon.
        signal(SIGXFSZ, SIG_IGN)
        let settling = InputSettling(quiet: settle, limit: max(60, 4 * settle))
        let daemon = try Daemon.sqlite(spec: spec, statePath: state, schedule: once ? nil : schedule, logger: logger,
                                       settling: settling) { spec in
            let (generator, preparer, _) = try PipelineGenerator.open(for: spec)
            // The daemon logs one line per file itself; the runner's own line would repeat it.
            var quietRunner = logger
            quietRunner.logLevel = .warning
            return PipelineRunner(spec: spec, generator: generator, preparer: preparer, logger: quietRunner)
        }
        // The loop returning (after --once, or after a shutdown request) ends the group normally.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        if once, daemon.lastCycle.failed > 0 { throw ExitCode(1) }
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
