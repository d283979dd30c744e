import Engine
import Kernels
import ModelFiles
import Tokenization

/// `TextGenerating` over the in-process Falcon engine: one model and one KV-cache session for the whole run.
public final class EngineTextGenerator: TextGenerating {
    public let modelName: String
    /// The most tokens (prompt and generated) one generation can hold.
    public let contextLength: Int
    private let generator: Generator
    private let tokenizer: FalconTokenizer

    /// `quantize` (q8_0, q4_0, …) quantizes a Hugging Face checkpoint in memory while loading.
    public init(path: String, threads: Int, quantize: String? = nil) throws {
        let type = try quantize.map { name in
            guard let type = TensorType(fileTypeName: name) else {
                throw OutputError("model.quantize '\(name)' is not one of \(TensorType.fileTypes.map(\.argumentName).joined(separator: ", "))")
            }
            return type
        }
        let model = try FalconModel(path: path, threads: threads, quantize: type)
        tokenizer = try model.opened.requireTokenizer()
        generator = Generator(model: model)
        modelName = path
        contextLength = model.config.contextLength
    }

    public func countTokens(_ text: String) -> Int { tokenizer.encode(text).count }

    public var falconTokenizer: FalconTokenizer { tokenizer }

    public var concurrency: Int { 1 }

    public func run(next: () throws -> GenerationJob?, finished: (GenerationJob, Result<StepGeneration, Error>) throws -> Void) throws {
        while let job = try next() {
            try finished(job, Result { try generate(job) })
        }
    }

    private func generate(_ job: GenerationJob) throws -> StepGeneration {
        let generation = job.generation
        var parameters = GenerationParameters()
        parameters.maxNewTokens = generation.maxNewTokens
        parameters.temperature = Float(generation.temperature)
        parameters.topK = generation.topK
        parameters.topP = Float(generation.topP)
        parameters.repetitionPenalty = Float(generation.repetitionPenalty)
        parameters.greedy = generation.greedy
        parameters.stopStrings = generation.stop
        parameters.seed = job.seed
        let result = try generator.generate(promptIDs: tokenizer.encode(job.prompt), parameters: parameters, tokenizer: tokenizer)
        return StepGeneration(promptTokens: result.promptIDs.count, text: result.text, generatedTokens: result.ids.count,
                              stopReason: result.stopReason, prefillSeconds: result.prefillSeconds, decodeSeconds: result.decodeSeconds)
    }
}
