import Engine
import Kernels
import ModelFiles
import Tokenization

/// `TextGenerating` over the in-process Falcon engine: one model and one `BatchGenerator` for the whole run,
/// keeping `concurrency` sequences busy across windows, steps and files.
public final class EngineTextGenerator: TextGenerating {
    public let modelName: String
    /// The most tokens (prompt and generated) one generation can hold.
    public let contextLength: Int
    public var concurrency: Int { generator.maximumSequences }
    private let generator: BatchGenerator
    private let tokenizer: FalconTokenizer

    /// `quantize` (q8_0, q4_0, …) quantizes a Hugging Face checkpoint in memory while loading; `batch` is the
    /// number of sequences generated together (nil: `BatchSizing`'s default), checked against free memory.
    public init(path: String, threads: Int, quantize: String? = nil, batch: Int? = nil) throws {
        let type = try quantize.map { name in
            guard let type = TensorType(fileTypeName: name) else {
                throw OutputError("model.quantize '\(name)' is not one of \(TensorType.fileTypes.map(\.argumentName).joined(separator: ", "))")
            }
            return type
        }
        let model = try FalconModel(path: path, threads: threads, quantize: type)
        tokenizer = try model.opened.requireTokenizer()
        let modelBytes = model.opened.totalBytes
        let sequences = batch ?? BatchSizing.defaultSequences(for: model.config, modelBytes: modelBytes)
        try BatchSizing.check(sequences: sequences, config: model.config, modelBytes: modelBytes, modelName: path)
        generator = BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: sequences)
        modelName = path
        contextLength = model.config.contextLength
    }

    public func countTokens(_ text: String) -> Int { tokenizer.encode(text).count }

    public var falconTokenizer: FalconTokenizer { tokenizer }

    /// Prompt tokens computed and reused from shared prefixes so far.
    public var prefilledTokens: Int { generator.prefilledTokens }
    public var reusedPrefixTokens: Int { generator.reusedPrefixTokens }

    public func run(next: () throws -> GenerationJob?, finished: (GenerationJob, Result<StepGeneration, Error>) throws -> Void) throws {
        var running: [Int: GenerationJob] = [:]
        try generator.run(next: { _ -> BatchGenerator.Pull<Int> in
            guard let job = try next() else { return .end }
            running[job.id] = job
            return .request(GenerationRequest(promptIDs: tokenizer.encode(job.prompt), parameters: Self.parameters(job)), job.id)
        }, onEvent: { id, event in
            switch event {
            case .token:
                break
            case .finished(let result, _):
                let job = running.removeValue(forKey: id)!
                try finished(job, .success(StepGeneration(promptTokens: result.promptIDs.count, text: result.text, generatedTokens: result.ids.count,
                                                          stopReason: result.stopReason, prefillSeconds: result.prefillSeconds,
                                                          decodeSeconds: result.decodeSeconds)))
            case .failed(let error):
                try finished(running.removeValue(forKey: id)!, .failure(error))
            }
            return true
        })
    }

    static func parameters(_ job: GenerationJob) -> GenerationParameters {
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
        return parameters
    }
}
