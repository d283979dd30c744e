import Foundation
import Logging
import Transcripts

/// Runs a pipeline's steps over input files: prepare → render each step's prompt per window → generate →
/// write one JSON-lines file per (source, step), atomically. The model is loaded once by the caller and
/// shared. Seeds derive from (pipeline seed, source, window, step, sample), so what a window produces does not
/// depend on what else is in flight.
///
/// Files stream through the generator: their jobs (window × step × sample, windows outermost so that one
/// window's steps, which share its prompt prefix, run close together) are handed out as the generator has
/// room, across file boundaries, and a file's outputs are written as soon as its last job is back.
public final class PipelineRunner {
    public enum Event {
        case fileStarted(InputFile, windows: Int, jobs: Int)
        /// A generation was handed to the generator.
        case windowStarted(InputFile, window: Int, step: String, sample: Int)
        case windowFinished(InputFile, window: Int, step: String, sample: Int, generatedTokens: Int, seconds: Double)
        case fileFinished(InputFile, outputs: [URL])
        case fileFailed(InputFile, error: String)
    }

    public let spec: PipelineSpec
    public let layout: OutputLayout
    public let generator: TextGenerating
    public let preparer: SourcePreparer
    public var windowLimit: Int?
    private let logger: Logger

    public init(spec: PipelineSpec, output: String? = nil, generator: TextGenerating, preparer: SourcePreparer, logger: Logger) {
        self.spec = spec
        layout = OutputLayout(directory: output ?? spec.output.dir)
        self.generator = generator
        self.preparer = preparer
        self.logger = logger
    }

    /// Processes one file completely and returns the files written. With `shouldStop` set, the jobs in flight
    /// finish and `CancellationError` is thrown without writing.
    public func process(_ file: InputFile, onEvent: (Event) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> [URL] {
        var pending: InputFile? = file
        var outcome: Result<[URL], Error> = .failure(CancellationError())
        try process(nextFile: { defer { pending = nil }; return pending }, completed: { outcome = $1 }, onEvent: onEvent, shouldStop: shouldStop)
        return try outcome.get()
    }

    /// Processes the files `nextFile` hands out (asked again whenever the generator has room and the current
    /// file has no job left), keeping up to `generator.concurrency` jobs in flight across files. Each file's
    /// outcome goes to `completed` as soon as it is known: its outputs, written, or its error (a file that
    /// cannot be prepared, a failed generation, an output that cannot be written). Once `shouldStop` answers
    /// true no job starts; the jobs in flight finish, and the files left unfinished complete with
    /// `CancellationError` and nothing written.
    ///
    /// `commit` puts a finished file's outputs in place (by default at once, all or none); a shared queue
    /// commits them under its fence instead. What it throws is the file's error.
    public func process(nextFile: () throws -> InputFile?, completed: (InputFile, Result<[URL], Error>) throws -> Void,
                        commit: (InputFile, OutputSet) throws -> [URL] = { try $1.commit() },
                        onEvent: (Event) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws {
        var open: [ObjectIdentifier: FileWork] = [:]
        var byJob: [Int: (work: FileWork, index: Int)] = [:]
        var current: FileWork?
        var nextID = 0
        var opened = 0

        func conclude(_ work: FileWork, _ outcome: Result<[URL], Error>) throws {
            open[ObjectIdentifier(work)] = nil
            work.concluded = true
            switch outcome {
            case .success(let urls):
                logger.info("processed", metadata: ["file": "\(work.file.path)", "windows": "\(work.windows.count)", "outputs": "\(urls.count)"])
                onEvent(.fileFinished(work.file, outputs: urls))
            case .failure(let error) where error is CancellationError:
                break
            case .failure(let error):
                onEvent(.fileFailed(work.file, error: ErrorText.oneLine(error)))
            }
            try completed(work.file, outcome)
        }

        func nextJob() throws -> GenerationJob? {
            while !shouldStop() {
                if let work = current, !work.concluded, work.handedOut < work.jobs.count {
                    let index = work.handedOut
                    work.handedOut += 1
                    let job = work.jobs[index]
                    nextID += 1
                    byJob[nextID] = (work, index)
                    onEvent(.windowStarted(work.file, window: job.window, step: spec.steps[job.step].id, sample: job.sample))
                    return GenerationJob(id: nextID, prompt: work.prompts[job.window * spec.steps.count + job.step],
                                         generation: spec.steps[job.step].generation, seed: job.seed)
                }
                current = nil
                guard let file = try nextFile() else { return nil }
                let work: FileWork
                do {
                    opened += 1
                    work = try FileWork(file: file, order: opened, runner: self)
                } catch {
                    onEvent(.fileFailed(file, error: ErrorText.oneLine(error)))
                    try completed(file, .failure(error))
                    continue
                }
                onEvent(.fileStarted(file, windows: work.windows.count, jobs: work.jobs.count))
                if work.jobs.isEmpty {
                    try conclude(work, Result { try commit(work.file, outputs(of: work)) })
                } else {
                    open[ObjectIdentifier(work)] = work
                    current = work
                }
            }
            return nil
        }

        try generator.run(next: nextJob, finished: { job, result in
            guard let (work, index) = byJob.removeValue(forKey: job.id), !work.concluded else { return }
            switch result {
            case .failure(let error):
                try conclude(work, .failure(error))
            case .success(let generation):
                work.results[index] = generation
                work.finished += 1
                let spec = work.jobs[index]
                onEvent(.windowFinished(work.file, window: spec.window, step: self.spec.steps[spec.step].id, sample: spec.sample,
                                        generatedTokens: generation.generatedTokens,
                                        seconds: generation.prefillSeconds + generation.decodeSeconds))
                if work.finished == work.jobs.count { try conclude(work, Result { try commit(work.file, outputs(of: work)) }) }
            }
        })
        for work in open.values.sorted(by: { $0.order < $1.order }) { try conclude(work, .failure(CancellationError())) }
    }

    /// Every (step) output of a file whose jobs are all back, JSON lines and Markdown when asked, as one set
    /// (written all or none: a failure midway never leaves a .jsonl without its .md).
    private func outputs(of work: FileWork) throws -> OutputSet {
        var outputs = OutputSet()
        for (stepIndex, step) in spec.steps.enumerated() {
            var lines = ""
            var markdown = "# \(spec.name) — \(step.id) — \(work.file.relative)\n\n"
            for (index, job) in work.jobs.enumerated() where job.step == stepIndex {
                let result = work.results[index]!
                let prompt = work.prompts[job.window * spec.steps.count + stepIndex]
                lines += try OutputRecord.line(spec: spec, step: step, file: work.file, format: work.format, window: job.window,
                                               sample: job.sample, seed: job.seed, model: generator.modelName, remote: generator.remoteDescription,
                                               result: result)
                let sample = step.generation.samples > 1 ? ", sample \(job.sample + 1) of \(step.generation.samples)" : ""
                markdown += "## Window \(job.window + 1) of \(work.windows.count)\(sample)\n\n```\n\(prompt)\n```\n\n**\(step.kind.rawValue)** (\(result.stopReason.rawValue)):\n\n\(result.text)\n\n"
            }
            outputs.add(Data(lines.utf8), to: layout.jsonl(step: step.id, relativeSource: work.file.relative))
            if spec.output.markdown { outputs.add(Data(markdown.utf8), to: layout.markdown(step: step.id, relativeSource: work.file.relative)) }
        }
        return outputs
    }

    /// One file in flight: its windows, prompts, jobs and the results back so far.
    private final class FileWork {
        struct Job {
            var window: Int
            var step: Int
            var sample: Int
            var seed: UInt64
        }

        /// Files in the order they were opened.
        let order: Int
        let file: InputFile
        let format: TranscriptFormat
        let windows: [PreparedWindow]
        /// Per window and step (`window * steps + step`): the rendered prompt.
        let prompts: [String]
        let jobs: [Job]
        var results: [StepGeneration?]
        var handedOut = 0
        var finished = 0
        var concluded = false

        init(file: InputFile, order: Int, runner: PipelineRunner) throws {
            let spec = runner.spec
            try file.checkListedProblem()
            let prepared = try runner.preparer.prepare(path: file.path, spec: spec)
            var windows = prepared.windows
            if let limit = runner.windowLimit { windows = Array(windows.prefix(limit)) }
            self.order = order
            self.file = file
            format = prepared.format
            self.windows = windows
            var prompts: [String] = []
            var jobs: [Job] = []
            for (index, window) in windows.enumerated() {
                for (stepIndex, step) in spec.steps.enumerated() {
                    prompts.append(step.template.render(PromptVariables(
                        window: window.text, speakers: window.speakers, nextSpeaker: window.nextSpeaker, source: file.path,
                        format: prepared.format.rawValue, windowIndex: index, windowCount: windows.count, pipeline: spec.name,
                        step: step).values))
                    for sample in 0..<step.generation.samples {
                        let seed = SeedDerivation.seed(base: step.generation.seed ?? spec.seed, source: file.relative, window: index,
                                                       step: step.id, sample: sample)
                        jobs.append(Job(window: index, step: stepIndex, sample: sample, seed: seed))
                    }
                }
            }
            self.prompts = prompts
            self.jobs = jobs
            results = Array(repeating: nil, count: jobs.count)
        }
    }
}

/// One output record of `run` (the fields README's output section lists), as a JSON line with sorted keys.
enum OutputRecord {
    static func line(spec: PipelineSpec, step: StepSpec, file: InputFile, format: TranscriptFormat, window: Int, sample: Int, seed: UInt64,
                     model: String, remote: [String: String]? = nil, result: StepGeneration) throws -> String {
        let g = step.generation
        let seconds = result.prefillSeconds + result.decodeSeconds
        var object: [String: Any] = [
            "pipeline": spec.name, "source": file.path, "format": format.rawValue, "window": window, "sample": sample, "step": step.id,
            "kind": step.kind.rawValue, "prompt_tokens": result.promptTokens, "text": result.text,
            "generated_tokens": result.generatedTokens, "stop_reason": result.stopReason.rawValue, "model": model,
            "seed": NSNumber(value: seed),
            "parameters": [
                "max_new_tokens": g.maxNewTokens, "temperature": g.temperature, "top_k": g.topK, "top_p": g.topP,
                "repetition_penalty": g.repetitionPenalty, "greedy": g.greedy, "stop": g.stop, "samples": g.samples,
            ] as [String: Any],
            "timings": [
                "prefill_s": result.prefillSeconds, "decode_s": result.decodeSeconds,
                "tokens_per_s": seconds > 0 ? Double(result.generatedTokens) / seconds : 0,
            ],
        ]
        if let remote { object["remote"] = remote }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
