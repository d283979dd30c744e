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
        let runner = PipelineRunner(spec: spec, generator: generator, preparer: preparer, logger: Logger(label: "claire-pipeline.run"))
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
        let progress = RunProgress(totalFiles: files.count)
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

/// Progress on stderr: a redrawn line on a terminal (files, windows, tokens, tokens/s, ETA), plain lines otherwise.
final class RunProgress {
    private let totalFiles: Int
    private let isTerminal = isatty(2) == 1
    private var filesDone = 0
    private var windowsDone = 0
    private var windowsInFile = 0
    private var tokens = 0
    private var seconds = 0.0
    private let started = Date()

    init(totalFiles: Int) { self.totalFiles = totalFiles }

    func handle(_ event: PipelineRunner.Event) {
        switch event {
        case .fileStarted(let file, let windows, _):
            windowsInFile = windows
            if !isTerminal { Console.error("[\(filesDone + 1)/\(totalFiles)] \(file.path): \(windows) windows") }
        case .windowFinished(_, _, _, _, let generated, let elapsed):
            windowsDone += 1
            tokens += generated
            seconds += elapsed
            if isTerminal { redraw() }
        case .fileFinished(let file, let outputs):
            filesDone += 1
            if !isTerminal { Console.error("done \(file.path) → \(outputs.count) files") } else { redraw() }
        case .fileFailed(let file, let error):
            filesDone += 1
            if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            Console.error("skipped \(file.path): \(error)")
        }
    }

    private func redraw() {
        let rate = seconds > 0 ? Double(tokens) / seconds : 0
        let elapsed = Date().timeIntervalSince(started)
        let eta = filesDone > 0 ? elapsed / Double(filesDone) * Double(totalFiles - filesDone) : 0
        let line = String(format: "\r\u{1B}[Kfiles %d/%d  windows %d  tokens %d  %.1f tok/s  ETA %.0fs", filesDone, totalFiles, windowsDone, tokens, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
