import ArgumentParser
import Engine
import Foundation
import Kernels
import ModelFiles
import Tokenization

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a Falcon model; the text streams to stdout.",
        discussion: "Defaults follow the Claire model card: --temperature 1.0 --top-k 10 --max-new-tokens 200."
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The prompt text.")
    var prompt: String?

    @Option(help: "A UTF-8 file holding the prompt.")
    var promptFile: String?

    @Option(help: "Tokens to generate at most.")
    var maxNewTokens = 200

    @Option(help: "Softmax temperature.")
    var temperature: Float = 1.0

    @Option(help: "Sample among the k most likely tokens (0: all).")
    var topK = 10

    @Option(help: "Nucleus sampling: the smallest set of tokens whose probability reaches p.")
    var topP: Float = 1.0

    @Option(help: "Divide (or multiply, when negative) the logits of tokens already seen.")
    var repetitionPenalty: Float = 1.0

    @Option(help: "Random seed; the same seed reproduces the same text.")
    var seed: UInt64 = 0

    @Flag(help: "Always take the most likely token.")
    var greedy = false

    @Option(help: "Stop when the text contains this string (repeatable); the string is not printed.")
    var stop: [String] = []

    @Flag(help: "Print one JSON object instead of streaming text.")
    var json = false

    @Option(help: ArgumentHelp("Samples of the prompt, generated together from one prefill (the model card's num_return_sequences).",
                               discussion: "Sample i uses seed + i, so sample 0 is the text of --seed alone. They print once all are done."))
    var numReturnSequences = 1

    func validate() throws {
        if (prompt == nil) == (promptFile == nil) { throw ValidationError("give exactly one of --prompt TEXT or --prompt-file FILE") }
        if maxNewTokens < 0 { throw ValidationError("--max-new-tokens must be 0 or more") }
        if temperature < 0 { throw ValidationError("--temperature must be 0 or more") }
        if topP <= 0 || topP > 1 { throw ValidationError("--top-p must be in (0, 1]") }
        if repetitionPenalty <= 0 { throw ValidationError("--repetition-penalty must be positive") }
        if !(1...64).contains(numReturnSequences) { throw ValidationError("--num-return-sequences must be between 1 and 64") }
        if numReturnSequences > 1, greedy || topK == 1 || temperature == 0 {
            throw ValidationError("--num-return-sequences \(numReturnSequences) with greedy decoding would print the same text \(numReturnSequences) times; sample instead (drop --greedy)")
        }
    }

    func run() throws {
        let text: String
        if let promptFile {
            let data = try Data(contentsOf: URL(fileURLWithPath: promptFile))
            if let offset = UTF8Validation.firstInvalidByteOffset([UInt8](data)) {
                throw TokenizerError.invalidUTF8(source: promptFile, byteOffset: offset)
            }
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = prompt!
        }
        let model = try modelOptions.load()
        let tokenizer = try model.opened.requireTokenizer()
        let promptIDs = tokenizer.encode(text)
        var parameters = GenerationParameters()
        parameters.maxNewTokens = maxNewTokens
        parameters.temperature = temperature
        parameters.topK = topK
        parameters.topP = topP
        parameters.repetitionPenalty = repetitionPenalty
        parameters.seed = seed
        parameters.greedy = greedy
        parameters.stopStrings = stop
        if numReturnSequences > 1 {
            return try generateSamples(model: model, tokenizer: tokenizer, promptIDs: promptIDs, parameters: parameters)
        }
        let result = try Generator(model: model).generate(promptIDs: promptIDs, parameters: parameters, tokenizer: tokenizer) { piece in
            if !json {
                Console.out(piece)
                Console.flush()
            }
        }
        if json {
            let object: [String: Any] = [
                "prompt_ids": result.promptIDs.map(Int.init), "ids": result.ids.map(Int.init), "text": result.text,
                "stop_reason": result.stopReason.rawValue,
                "prefill_tokens_per_s": result.prefillTokensPerSecond, "decode_tokens_per_s": result.decodeTokensPerSecond,
            ]
            Console.out(try JSONText.line(object))
        } else {
            Console.out("\n")
            Console.error(String(format: "[%d prompt tokens, %.1f t/s; %d new tokens, %.1f t/s; stop: %@]",
                                 promptIDs.count, result.prefillTokensPerSecond, result.ids.count,
                                 result.decodeTokensPerSecond, result.stopReason.rawValue))
        }
        Console.flush()
    }
}

extension GenerateCommand {
    /// `--num-return-sequences N`: N requests of one prompt in one batch; the first reads the prompt, the others
    /// start from a copy of its cache, and all decode together.
    func generateSamples(model: FalconModel, tokenizer: FalconTokenizer, promptIDs: [TokenID], parameters: GenerationParameters) throws {
        try BatchSizing.check(sequences: numReturnSequences, config: model.config, modelBytes: model.opened.totalBytes, modelName: modelOptions.model)
        let generator = BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: numReturnSequences)
        var results = [GenerationResult?](repeating: nil, count: numReturnSequences)
        var failure: EngineError?
        var sample = 0
        try generator.run(next: { _ -> BatchGenerator.Pull<Int> in
            guard sample < numReturnSequences else { return .end }
            var request = GenerationRequest(promptIDs: promptIDs, parameters: parameters)
            request.parameters.seed = parameters.seed &+ UInt64(sample)
            defer { sample += 1 }
            return .request(request, sample)
        }, onEvent: { index, event in
            switch event {
            case .token: break
            case .finished(let result, _): results[index] = result
            case .failed(let error): failure = error
            }
            return true
        })
        if let failure { throw failure }
        for (index, result) in results.enumerated() {
            let result = result!
            if json {
                Console.out(try JSONText.line([
                    "sample": index, "seed": NSNumber(value: parameters.seed &+ UInt64(index)),
                    "prompt_ids": result.promptIDs.map(Int.init), "ids": result.ids.map(Int.init), "text": result.text,
                    "stop_reason": result.stopReason.rawValue,
                ] as [String: Any]))
            } else {
                Console.out("--- sample \(index + 1) of \(numReturnSequences) (seed \(parameters.seed &+ UInt64(index)), stop: \(result.stopReason.rawValue)) ---\n\(result.text)\n")
            }
        }
        Console.error("[\(promptIDs.count) prompt tokens read once (\(generator.prefilledTokens) computed), \(numReturnSequences) samples decoded together]")
        Console.flush()
    }
}

/// `--model PATH [--threads N] [--quantize TYPE]`, shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "A Hugging Face model directory, a .gguf file, or a directory holding one .gguf.")
    var model: String

    @Option(help: "Worker threads (0: one per core).")
    var threads = 0

    @Option(help: "Quantize a Hugging Face checkpoint's weights in memory when loading (q8_0, q4_0, …).")
    var quantize: TensorType?

    func load() throws -> FalconModel {
        try FalconModel(path: model, threads: threads, quantize: quantize)
    }
}

/// JSON output helpers: one object per line, keys sorted so outputs diff cleanly.
enum JSONText {
    static func line(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
