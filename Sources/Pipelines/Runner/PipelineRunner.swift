import Foundation
import Logging
import Transcripts

/// Runs a pipeline's steps over input files: prepare → render each step's prompt per window → generate →
/// write one JSON-lines file per (source, step), atomically. The model is loaded once by the caller and
/// shared; windows run in order with seeds derived from (pipeline seed, source, window, step).
public final class PipelineRunner {
    public enum Event {
        case fileStarted(InputFile, windows: Int)
        case windowFinished(InputFile, window: Int, step: String, generatedTokens: Int, seconds: Double)
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

    /// Processes one file completely and returns the files written. `shouldStop` is checked between windows
    /// (graceful shutdown finishes the current window, then throws `CancellationError` without writing).
    public func process(_ file: InputFile, onEvent: (Event) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> [URL] {
        let prepared = try preparer.prepare(path: file.path, spec: spec)
        var windows = prepared.windows
        if let windowLimit { windows = Array(windows.prefix(windowLimit)) }
        onEvent(.fileStarted(file, windows: windows.count))
        var outputs = OutputSet()
        for step in spec.steps {
            var lines = ""
            var markdown = "# \(spec.name) — \(step.id) — \(file.relative)\n\n"
            for (index, window) in windows.enumerated() {
                if shouldStop() { throw CancellationError() }
                let seed = SeedDerivation.seed(base: step.generation.seed ?? spec.seed, source: file.relative, window: index, step: step.id)
                let prompt = step.template.render(PromptVariables(
                    window: window.text, speakers: window.speakers, nextSpeaker: window.nextSpeaker, source: file.path,
                    format: prepared.format.rawValue, windowIndex: index, windowCount: windows.count, pipeline: spec.name, step: step).values)
                let result = try generator.generate(prompt: prompt, generation: step.generation, seed: seed)
                lines += try OutputRecord.line(spec: spec, step: step, file: file, format: prepared.format, window: index,
                                               seed: seed, model: generator.modelName, result: result)
                markdown += "## Window \(index + 1) of \(windows.count)\n\n```\n\(prompt)\n```\n\n**\(step.kind.rawValue)** (\(result.stopReason.rawValue)):\n\n\(result.text)\n\n"
                onEvent(.windowFinished(file, window: index, step: step.id, generatedTokens: result.generatedTokens,
                                        seconds: result.prefillSeconds + result.decodeSeconds))
            }
            outputs.add(Data(lines.utf8), to: layout.jsonl(step: step.id, relativeSource: file.relative))
            if spec.output.markdown { outputs.add(Data(markdown.utf8), to: layout.markdown(step: step.id, relativeSource: file.relative)) }
        }
        // Every step's files, all or none (a failure mid-way never leaves a .jsonl without its .md).
        let written = try outputs.commit()
        logger.info("processed", metadata: ["file": "\(file.path)", "windows": "\(windows.count)", "outputs": "\(written.count)"])
        onEvent(.fileFinished(file, outputs: written))
        return written
    }
}

/// One output record of `run` (the fields README's output section lists), as a JSON line with sorted keys.
enum OutputRecord {
    static func line(spec: PipelineSpec, step: StepSpec, file: InputFile, format: TranscriptFormat, window: Int, seed: UInt64,
                     model: String, result: StepGeneration) throws -> String {
        let g = step.generation
        let seconds = result.prefillSeconds + result.decodeSeconds
        let object: [String: Any] = [
            "pipeline": spec.name, "source": file.path, "format": format.rawValue, "window": window, "step": step.id,
            "kind": step.kind.rawValue, "prompt_tokens": result.promptTokens, "text": result.text,
            "generated_tokens": result.generatedTokens, "stop_reason": result.stopReason.rawValue, "model": model,
            "seed": NSNumber(value: seed),
            "parameters": [
                "max_new_tokens": g.maxNewTokens, "temperature": g.temperature, "top_k": g.topK, "top_p": g.topP,
                "repetition_penalty": g.repetitionPenalty, "greedy": g.greedy, "stop": g.stop,
            ] as [String: Any],
            "timings": [
                "prefill_s": result.prefillSeconds, "decode_s": result.decodeSeconds,
                "tokens_per_s": seconds > 0 ? Double(result.generatedTokens) / seconds : 0,
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
