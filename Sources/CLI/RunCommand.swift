import ArgumentParser
import Foundation
import Logging
import Pipelines

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline once over its inputs and write its outputs.",
        discussion: """
            Outputs: <output>/<step>/<source relative to its input root>.jsonl (one record per window), .md beside it \
            when the pipeline asks for Markdown, and <output>/manifest.json. Each file is written atomically once complete. \
            A bad input is reported and skipped; the run then exits 1 with a summary.
            """
    )

    @OptionGroup var options: PipelineOptions

    @Option(help: "Process only the first N windows of each file.")
    var limit: Int?

    @Flag(help: "Prepare windows and render prompts, print them as JSON lines, generate nothing.")
    var dryRun = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() throws {
        let spec = try options.loadSpec()
        let files = try PipelineRun.inputs(of: spec)
        let (generator, preparer, countTokens) = try PipelineGenerator.open(for: spec)
        let prepared = PreparedSourceCache(preparer)
        let runner = PipelineRunner(spec: spec, generator: generator, preparer: prepared, logger: Logger(label: "claire-pipeline.run"))
        runner.windowLimit = limit
        let run = PipelineRun(runner: runner)
        if dryRun {
            try run.preview(files: files, countTokens: countTokens, onWindow: { window in
                Console.out(try JSONText.line(["source": window.source, "window": window.index, "text": window.text, "tokens": window.tokens]))
            }, onFailure: { _, error in
                Console.error("error: \(Console.describe(error))")
            })
            Console.flush()
            return
        }
        // Windows are counted before any is generated, for a bar over the whole run; the runner reuses them.
        let totalJobs = files.reduce(0) { total, file in
            guard let source = try? prepared.prepare(path: file.path, spec: spec) else { return total }
            return total + min(source.windows.count, limit ?? Int.max) * spec.steps.reduce(0) { $0 + $1.generation.samples }
        }
        let progress = RunProgress(totalFiles: files.count, totalJobs: totalJobs)
        let report = try run.run(files: files, onEvent: progress.handle)
        progress.finish()
        let failed = report.failures
        Console.error("\(report.files.count - failed.count) of \(report.files.count) files done, \(failed.count) failed; outputs in \(spec.output.dir)")
        if !failed.isEmpty {
            for failure in failed { Console.error("error: \(failure.error ?? "")") }
            throw ExitCode(1)
        }
    }
}

/// Progress of a run over all its windows: on a terminal a bar at the bottom of stderr (jobs done of all,
/// sequences in flight, tokens/s, an ETA from the jobs left), with log lines printed above it; otherwise a
/// plain line per file.
final class RunProgress {
    private let totalJobs: Int
    private let totalFiles: Int
    private let isTerminal = isatty(2) == 1
    private var filesDone = 0
    private var jobsStarted = 0
    private var jobsDone = 0
    private var tokens = 0
    private let started = Date()
    private var lastDrawn = Date.distantPast

    init(totalFiles: Int, totalJobs: Int) {
        self.totalFiles = totalFiles
        self.totalJobs = totalJobs
    }

    func handle(_ event: PipelineRunner.Event) {
        switch event {
        case .fileStarted(let file, let windows, let jobs):
            if !isTerminal { Console.error("[\(filesDone + 1)/\(totalFiles)] \(file.path): \(windows) windows, \(jobs) generations") }
        case .windowStarted:
            jobsStarted += 1
            redraw()
        case .windowFinished(_, _, _, _, let generated, _):
            jobsDone += 1
            tokens += generated
            redraw()
        case .fileFinished(let file, let outputs):
            filesDone += 1
            if !isTerminal { Console.error("done \(file.path) → \(outputs.count) files") }
            redraw(force: true)
        case .fileFailed(let file, let error):
            filesDone += 1
            Console.error("skipped \(file.path): \(error)")
            redraw(force: true)
        }
    }

    private func redraw(force: Bool = false) {
        guard isTerminal else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDrawn) >= 0.2 else { return }
        lastDrawn = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(tokens) / elapsed : 0
        let fraction = totalJobs > 0 ? Double(jobsDone) / Double(totalJobs) : 1
        let eta = jobsDone > 0 ? Self.duration(elapsed / Double(jobsDone) * Double(totalJobs - jobsDone)) : "…"
        let width = 24
        let filled = min(width, Int(fraction * Double(width)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        Console.setStatus(String(format: "%@ %d/%d windows · files %d/%d · %d running · %.1f tok/s · ETA %@", bar, jobsDone, totalJobs,
                                 filesDone, totalFiles, jobsStarted - jobsDone, rate, eta))
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }

    func finish() {
        if isTerminal { Console.setStatus(nil) }
    }
}
