import ArgumentParser
import Engine
import Foundation
import Kernels
import ModelFiles
import Tokenization

/// The throughput of the batched engine on pipeline-shaped work: W windows of P prompt tokens, N new tokens
/// each, no stop, as `run` generates them, at several batch sizes.
struct BenchPipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-pipeline",
        abstract: "Measure windows per hour of the batched engine on pipeline-shaped work, per batch size.",
        discussion: """
            Each window is a distinct prompt of --prompt-tokens pseudo-random ids followed by --new-tokens sampled ones \
            (Claire's card parameters, no end-of-text stop), as llama-batched-bench -npp/-ntg does. --steps 2 adds, per \
            window, a second prompt sharing the window (a complete-turn step: the window plus a speaker tag); \
            --samples N asks N samples per prompt. Each batch size runs in its own process, so that the peak RSS \
            reported is that batch's. Windows per hour counts windows (not prompts) completed. Prompts are read in \
            chunks between decode steps, so the engine times its steps by kind: prefill t/s is the prompt tokens over \
            the steps that read prompt tokens (decode rows of running sequences ride along in them), decode t/s the \
            tokens sampled over the decode-only steps: the rates llama-batched-bench reports as PP and TG.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Prompt tokens per window.")
    var promptTokens = 1848

    @Option(help: "New tokens per generation.")
    var newTokens = 200

    @Option(help: "Windows to run per batch size.")
    var windows = 8

    @Option(help: "Comma-separated batch sizes (sequences generated together).")
    var batch = "1,4,8,16"

    @Option(help: "Prompts per window: 1 (a continuation) or 2 (continuation and complete-turn, sharing the window).")
    var steps = 1

    @Option(help: "Samples per prompt (num_return_sequences); they share the prompt's prefill.")
    var samples = 1

    @Option(help: "Prompt tokens read per forward pass across prompts (the prefill chunk).")
    var prefillChunk = 128

    @Flag(help: "Print one JSON object per batch size instead of the table.")
    var json = false

    func validate() throws {
        if promptTokens < 1 || newTokens < 0 || windows < 1 { throw ValidationError("--prompt-tokens and --windows must be ≥ 1, --new-tokens ≥ 0") }
        if !(1...2).contains(steps) { throw ValidationError("--steps is 1 or 2") }
        if !(1...64).contains(samples) { throw ValidationError("--samples must be between 1 and 64") }
        if sizes.isEmpty || sizes.contains(where: { !(1...256).contains($0) }) { throw ValidationError("--batch takes sizes between 1 and 256, e.g. 1,4,8") }
    }

    var sizes: [Int] { batch.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    struct Measurement: Codable {
        var batch: Int
        var windows: Int
        var generations: Int
        var seconds: Double
        var windowsPerHour: Double
        var promptTokensComputed: Int
        var promptTokensReused: Int
        var generatedTokens: Int
        /// Seconds in steps that read prompt tokens, and in decode-only steps (the rest of `seconds` is
        /// admission, event handling and start-up).
        var prefillSeconds: Double
        var decodeSeconds: Double
        var prefillTokensPerSecond: Double
        var decodeTokensPerSecond: Double
        var peakResidentBytes: Int
    }

    func run() throws {
        let measurements: [Measurement]
        if sizes.count == 1 {
            measurements = [try measure(batch: sizes[0])]
        } else {
            measurements = try sizes.map(measureInChild)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            for m in measurements { Console.out(String(decoding: try encoder.encode(m), as: UTF8.self) + "\n") }
        } else {
            Console.out("model \(modelOptions.model), \(windows) windows of \(promptTokens) + \(newTokens) tokens, \(steps) step(s), \(samples) sample(s)\n")
            Console.out("| batch | windows/h | prefill t/s | decode t/s | wall s (prefill + decode steps) | prompt tokens computed / reused | peak RSS MiB |\n|---|---|---|---|---|---|---|\n")
            for m in measurements {
                Console.out(String(format: "| %d | %.1f | %.1f | %.2f | %.1f (%.1f + %.1f) | %d / %d | %.0f |\n", m.batch, m.windowsPerHour, m.prefillTokensPerSecond,
                                   m.decodeTokensPerSecond, m.seconds, m.prefillSeconds, m.decodeSeconds, m.promptTokensComputed, m.promptTokensReused,
                                   Double(m.peakResidentBytes) / 1_048_576))
            }
        }
        Console.flush()
    }

    /// Runs this command for one batch size in a child process (its own peak RSS) and reads its JSON line.
    private func measureInChild(batch: Int) throws -> Measurement {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var arguments = ["bench-pipeline", "--model", modelOptions.model, "--threads", "\(modelOptions.threads)",
                         "--prompt-tokens", "\(promptTokens)", "--new-tokens", "\(newTokens)", "--windows", "\(windows)",
                         "--steps", "\(steps)", "--samples", "\(samples)", "--prefill-chunk", "\(prefillChunk)", "--batch", "\(batch)", "--json"]
        if let quantize = modelOptions.quantize { arguments += ["--quantize", quantize.argumentName] }
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CLIError("bench-pipeline --batch \(batch) failed (exit \(process.terminationStatus))") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Measurement.self, from: data)
    }

    private func measure(batch: Int) throws -> Measurement {
        let model = try modelOptions.load()
        let tokenizer = try model.opened.requireTokenizer()
        let context = model.config.contextLength
        let suffix = tokenizer.encode("[Intervenant 2:]")
        guard promptTokens + suffix.count * (steps - 1) + newTokens <= context else {
            throw CLIError("--prompt-tokens \(promptTokens) + --new-tokens \(newTokens) do not fit the model's context of \(context)")
        }
        try BatchSizing.check(sequences: batch, config: model.config, modelBytes: model.opened.totalBytes, modelName: modelOptions.model)
        var ids = BenchTokens(vocabulary: model.config.vocabularySize)
        var requests: [(GenerationRequest, window: Int)] = []
        for window in 0..<windows {
            let prompt = ids.next(promptTokens)
            for step in 0..<steps {
                for sample in 0..<samples {
                    var parameters = GenerationParameters()
                    parameters.maxNewTokens = newTokens
                    parameters.stopAtEndOfText = false
                    parameters.seed = UInt64(window * 1000 + step * 100 + sample)
                    requests.append((GenerationRequest(promptIDs: step == 0 ? prompt : prompt + suffix, parameters: parameters), window))
                }
            }
        }
        let generator = BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: batch, prefillChunk: prefillChunk)
        var remainingPerWindow = [Int](repeating: steps * samples, count: windows)
        var windowsDone = 0
        var generated = 0
        var next = 0
        let progress = ProgressLine(label: "batch \(batch)")
        let started = DispatchTime.now().uptimeNanoseconds
        try generator.run(next: { _ -> BatchGenerator.Pull<Int> in
            guard next < requests.count else { return .end }
            defer { next += 1 }
            return .request(requests[next].0, next)
        }, onEvent: { index, event in
            if case .finished(let result, _) = event {
                generated += result.ids.count
                let window = requests[index].window
                remainingPerWindow[window] -= 1
                if remainingPerWindow[window] == 0 {
                    windowsDone += 1
                    progress.update(done: windowsDone, total: windows, unit: "windows")
                }
            }
            return true
        })
        progress.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Measurement(batch: batch, windows: windows, generations: requests.count, seconds: seconds,
                           windowsPerHour: Double(windows) / seconds * 3600, promptTokensComputed: generator.prefilledTokens,
                           promptTokensReused: generator.reusedPrefixTokens, generatedTokens: generated,
                           prefillSeconds: generator.steps.promptSeconds, decodeSeconds: generator.steps.decodeSeconds,
                           prefillTokensPerSecond: generator.steps.promptTokensPerSecond,
                           decodeTokensPerSecond: generator.steps.decodeTokensPerSecond, peakResidentBytes: BenchCommand.peakResidentBytes())
    }
}
