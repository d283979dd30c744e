import ArgumentParser
import DaemonHTTP
import Foundation
import Logging
import Pipelines
import PostgresLedger
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

            With --state postgres://user@host:port/db, any number of daemons on any number of hosts share one queue             in PostgreSQL: each file (by its path relative to the input root) is claimed by one daemon under a lease             (--lease) it renews while it works; a daemon that lost its lease can neither mark the file done nor             replace newer outputs. Failures back off and become dead after --max-attempts. With --once, a daemon on             a shared queue returns when no file is left for anyone.
            """
    )

    @OptionGroup var options: PipelineOptions

    @Option(help: "Run every DURATION (e.g. 30s, 10m, 1h); replaces the pipeline's schedule.")
    var every: String?

    @Option(help: "Run at the times of a 5-field cron expression; replaces the pipeline's schedule.")
    var cron: String?

    @Option(help: "The state: a SQLite database path (default: inside the output folder) or a postgres://user@host:port/db URL shared by several daemons.")
    var state: String?

    @Option(help: "Seconds an input must stay unchanged before it is read (files still being copied or recorded wait).")
    var settle: Double = 2

    @Option(help: "Shared queue only: seconds a claim lasts without renewal (renewed every third of it).")
    var lease: Double = 60

    @Option(help: "Shared queue only: attempts of the same content before a file is dead.")
    var maxAttempts: Int = 5

    @Option(help: "Serve /health, /metrics (Prometheus) and a status page at HOST:PORT (e.g. 127.0.0.1:9090).")
    var http: String?

    @Flag(help: "Run one cycle and exit (status 1 if a file failed).")
    var once = false

    func validate() throws {
        if every != nil && cron != nil { throw ValidationError("give --every or --cron, not both") }
        if !(lease >= 1) { throw ValidationError("--lease \(lease): give at least 1 second") }
        if maxAttempts < 1 { throw ValidationError("--max-attempts \(maxAttempts): give at least 1") }
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
        let makeRunner: Daemon.MakeRunner = { spec in
            let (generator, preparer, _) = try PipelineGenerator.open(for: spec)
            // The daemon logs one line per file itself; the runner's own line would repeat it.
            var quietRunner = logger
            quietRunner.logLevel = .warning
            return PipelineRunner(spec: spec, generator: generator, preparer: preparer, logger: quietRunner)
        }
        let daemon: Daemon
        if let state, StateLocation.isPostgres(state) {
            try FileManager.default.createDirectory(atPath: spec.output.dir, withIntermediateDirectories: true)
            let queue = try PostgresLedger(url: state, backoff: LedgerBackoff(), leaseSeconds: lease, maxAttempts: maxAttempts, logger: logger)
            daemon = try Daemon(spec: spec, schedule: once ? nil : schedule, ledger: queue, lock: nil, logger: logger, settling: settling,
                                makeRunner: makeRunner)
        } else {
            daemon = try Daemon.sqlite(spec: spec, statePath: state, schedule: once ? nil : schedule, logger: logger, settling: settling,
                                       makeRunner: makeRunner)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            // The loop returning (after --once, or after a shutdown request) ends the group normally.
            .init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let http {
            services.append(.init(service: try DaemonHTTPServer.service(address: http, ledger: daemon.ledger, pipeline: spec.name,
                                                                        activity: daemon.activity, logger: logger)))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
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
