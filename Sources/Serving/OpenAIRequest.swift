import Engine
import Foundation
import Tokenization

/// An OpenAI `/v1/completions` request with OpenAI's defaults (16 tokens, temperature 1, top-p 1, sampling;
/// temperature 0 is greedy), plus the `top_k` and `repetition_penalty` extensions vLLM and llama-server accept.
struct OpenAIRequest {
    enum Prompt {
        case text(String)
        case tokens([TokenID])
    }

    var prompts: [Prompt]
    var parameters: GenerationParameters
    var seedGiven: Bool
    var choicesPerPrompt: Int
    var stream: Bool
    var includeUsageInStream: Bool
    var echo: Bool
    var model: String?

    static let maxStopSequences = 4

    init(_ body: JSONFields, vocabularySize: Int) throws {
        model = try body.string("model")
        prompts = try Self.prompts(body, vocabularySize: vocabularySize)
        var parameters = GenerationParameters()
        parameters.maxNewTokens = 16
        parameters.topK = 0
        parameters.topP = 1
        parameters.temperature = 1
        parameters.repetitionPenalty = 1
        if let maxTokens = try body.integer("max_tokens") {
            guard maxTokens >= 1 else { throw APIError(.validation, "`max_tokens` must be at least 1, got \(maxTokens)", parameter: "max_tokens") }
            parameters.maxNewTokens = maxTokens
        }
        if let temperature = try body.double("temperature") {
            guard temperature >= 0, temperature <= 2 else {
                throw APIError(.validation, "`temperature` must be between 0 and 2, got \(temperature)", parameter: "temperature")
            }
            parameters.temperature = Float(temperature)
            parameters.greedy = temperature == 0
        }
        if let topP = try body.double("top_p") {
            guard topP > 0, topP <= 1 else { throw APIError(.validation, "`top_p` must be > 0 and <= 1, got \(topP)", parameter: "top_p") }
            parameters.topP = Float(topP)
        }
        if let topK = try body.integer("top_k") {
            // -1 is vLLM's and llama-server's "no top-k".
            guard topK >= -1 else { throw APIError(.validation, "`top_k` must be -1, 0 (no limit) or positive, got \(topK)", parameter: "top_k") }
            parameters.topK = max(topK, 0)
        }
        if let penalty = try body.double("repetition_penalty") {
            guard penalty > 0 else { throw APIError(.validation, "`repetition_penalty` must be strictly positive, got \(penalty)", parameter: "repetition_penalty") }
            parameters.repetitionPenalty = Float(penalty)
        }
        let stop = try body.strings("stop", single: true) ?? []
        guard stop.count <= Self.maxStopSequences else {
            throw APIError(.validation, "`stop` takes up to \(Self.maxStopSequences) sequences, got \(stop.count)", parameter: "stop")
        }
        parameters.stopStrings = stop
        let seed = try body.seed("seed")
        seedGiven = seed != nil
        parameters.seed = seed ?? UInt64.random(in: 0...UInt64.max)
        choicesPerPrompt = try body.integer("n") ?? 1
        guard (1...16).contains(choicesPerPrompt) else {
            throw APIError(.validation, "`n` must be from 1 to 16, got \(choicesPerPrompt)", parameter: "n")
        }
        stream = try body.bool("stream") ?? false
        includeUsageInStream = try body.nested("stream_options")?.bool("include_usage") ?? false
        echo = try body.bool("echo") ?? false
        // vLLM's and llama-server's extension, for benchmarks that want exactly max_tokens.
        if try body.bool("ignore_eos") == true { parameters.stopAtEndOfText = false }
        self.parameters = parameters
        try Self.refuseUnsupported(body)
    }

    private static func prompts(_ body: JSONFields, vocabularySize: Int) throws -> [Prompt] {
        guard let value = body.raw("prompt") else { throw APIError(.validation, "`prompt` is required", parameter: "prompt") }
        func tokens(_ list: [JSONValue]) throws -> [TokenID] {
            try list.map { item in
                guard case .integer(let id) = item, id >= 0, id < vocabularySize else {
                    throw APIError(.validation, "`prompt` token ids must be integers from 0 to \(vocabularySize - 1), got \(item.description)", parameter: "prompt")
                }
                return TokenID(id)
            }
        }
        let prompts: [Prompt]
        switch value {
        case .string(let text):
            prompts = [.text(text)]
        case .array(let list) where list.allSatisfy(Self.isString):
            prompts = list.compactMap { item -> Prompt? in
                guard case .string(let text) = item else { return nil }
                return .text(text)
            }
        case .array(let list) where list.allSatisfy(Self.isInteger):
            prompts = [.tokens(try tokens(list))]
        case .array(let list) where list.allSatisfy(Self.isArray):
            prompts = try list.map { item in
                guard case .array(let inner) = item else { return .tokens([]) }
                return .tokens(try tokens(inner))
            }
        default:
            throw body.wrong("prompt", "a string, a list of strings, a list of token ids or a list of such lists", value)
        }
        guard !prompts.isEmpty, prompts.count <= 16 else {
            throw APIError(.validation, "`prompt` must hold from 1 to 16 prompts, got \(prompts.count)", parameter: "prompt")
        }
        for prompt in prompts {
            let empty: Bool
            switch prompt {
            case .text(let text): empty = text.isEmpty
            case .tokens(let ids): empty = ids.isEmpty
            }
            if empty { throw APIError(.validation, "`prompt` cannot be empty", parameter: "prompt") }
        }
        return prompts
    }

    private static func isString(_ value: JSONValue) -> Bool {
        if case .string = value { return true }
        return false
    }

    private static func isInteger(_ value: JSONValue) -> Bool {
        if case .integer = value { return true }
        return false
    }

    private static func isArray(_ value: JSONValue) -> Bool {
        if case .array = value { return true }
        return false
    }

    private static func refuseUnsupported(_ body: JSONFields) throws {
        if body.has("suffix") { throw APIError(.validation, "`suffix` is not supported by this model", parameter: "suffix") }
        if let bestOf = try body.integer("best_of"), bestOf > 1 {
            throw APIError(.validation, "`best_of` > 1 is not supported by this server", parameter: "best_of")
        }
        if body.has("logprobs") { throw APIError(.validation, "`logprobs` is not supported by this server", parameter: "logprobs") }
        if body.has("logit_bias") { throw APIError(.validation, "`logit_bias` is not supported by this server", parameter: "logit_bias") }
        for name in ["presence_penalty", "frequency_penalty"] {
            if let value = try body.double(name), value != 0 {
                throw APIError(.validation, "`\(name)` is not supported by this server; use `repetition_penalty`", parameter: name)
            }
        }
    }
}
