import Foundation

/// One pass of a pipeline over all its inputs, as `run` does it: every file processed (their windows streamed
/// through the generator together), a bad one reported and skipped, then `manifest.json` written beside the outputs. The caller shows progress through
/// the runner's events and decides what a failure means for its exit status.
public final class PipelineRun {
    /// What happened to one input.
    public struct FileOutcome: Sendable, Equatable {
        public var source: String
        public var outputs: [String]
        /// The error in one line, when the file failed.
        public var error: String?
    }

    public struct Report: Sendable {
        public var identity: PipelineIdentity
        public var files: [FileOutcome]
        public var started: Date
        public var finished: Date
        public var manifest: URL

        public var failures: [FileOutcome] { files.filter { $0.error != nil } }
    }

    /// A window as `--dry-run` shows it: prepared and counted, not generated.
    public struct PreviewWindow: Sendable {
        public var source: String
        public var index: Int
        public var text: String
        public var tokens: Int
    }

    public let runner: PipelineRunner
    public var spec: PipelineSpec { runner.spec }
    private let models: FileHashCache

    public init(runner: PipelineRunner, models: FileHashCache = .process) {
        self.runner = runner
        self.models = models
    }

    /// The pipeline's input files, in the order they are processed.
    public static func inputs(of spec: PipelineSpec) throws -> [InputFile] {
        try InputEnumerator.files(in: spec.input.paths, include: spec.input.include)
    }

    /// Processes `files` (default: `inputs(of:)`) and writes the manifest.
    public func run(files: [InputFile]? = nil, onEvent: (PipelineRunner.Event) -> Void = { _ in }) throws -> Report {
        let started = Date()
        let files = try files ?? Self.inputs(of: spec)
        var outcomes: [String: FileOutcome] = [:]
        var remaining = files[...]
        try runner.process(nextFile: { remaining.popFirst() }, completed: { file, result in
            switch result {
            case .success(let outputs): outcomes[file.path] = FileOutcome(source: file.path, outputs: outputs.map(\.path), error: nil)
            case .failure(let error): outcomes[file.path] = FileOutcome(source: file.path, outputs: [], error: ErrorText.oneLine(error))
            }
        }, onEvent: onEvent)
        let ordered = files.compactMap { outcomes[$0.path] }
        let identity = try PipelineIdentity(spec: spec, models: models)
        let report = Report(identity: identity, files: ordered, started: started, finished: Date(), manifest: runner.layout.manifest)
        var manifest = RunManifest(pipelineName: spec.name, identity: identity, model: spec.model.path, started: report.started,
                                   finished: report.finished, files: ordered)
        manifest.remote = spec.model.remote
        try manifest.write(to: report.manifest)
        return report
    }

    /// Prepares every input and hands over its windows (at most `runner.windowLimit` per file) without
    /// generating; a file that cannot be prepared goes to `onFailure` and the others still run.
    public func preview(files: [InputFile]? = nil, countTokens: (String) -> Int, onWindow: (PreviewWindow) throws -> Void,
                        onFailure: (InputFile, Error) -> Void) throws {
        for file in try files ?? Self.inputs(of: spec) {
            do {
                try file.checkListedProblem()
                let prepared = try runner.preparer.prepare(path: file.path, spec: spec)
                for (index, window) in prepared.windows.prefix(runner.windowLimit ?? Int.max).enumerated() {
                    try onWindow(PreviewWindow(source: file.path, index: index, text: window.text, tokens: countTokens(window.text)))
                }
            } catch {
                onFailure(file, error)
            }
        }
    }
}
