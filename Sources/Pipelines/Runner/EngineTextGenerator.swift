import Engine
import Tokenization

/// `TextGenerating` over the in-process Falcon engine: one model and one KV-cache session for the whole run.
public final class EngineTextGenerator: TextGenerating {
    public let modelName: String
    private let generator: Generator
    private let tokenizer: FalconTokenizer

    public init(path: String, threads: Int) throws {
        let model = try FalconModel(path: path, threads: threads)
        tokenizer = try model.opened.requireTokenizer()
        generator = Generator(model: model)
        modelName = path
    }

    public func countTokens(_ text: String) -> Int { tokenizer.encode(text).count }

    public func generate(prompt: String, generation: GenerationSpec, seed: UInt64) throws -> StepGeneration {
        var parameters = GenerationParameters()
        parameters.maxNewTokens = generation.maxNewTokens
        parameters.temperature = Float(generation.temperature)
        parameters.topK = generation.topK
        parameters.topP = Float(generation.topP)
        parameters.repetitionPenalty = Float(generation.repetitionPenalty)
        parameters.greedy = generation.greedy
        parameters.stopStrings = generation.stop
        parameters.seed = seed
        let result = try generator.generate(promptIDs: tokenizer.encode(prompt), parameters: parameters, tokenizer: tokenizer)
        return StepGeneration(promptTokens: result.promptIDs.count, text: result.text, generatedTokens: result.ids.count,
                              stopReason: result.stopReason.rawValue, prefillSeconds: result.prefillSeconds, decodeSeconds: result.decodeSeconds)
    }
}
