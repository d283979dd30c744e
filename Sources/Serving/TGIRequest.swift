import Engine
import Foundation

/// A TGI `GenerateRequest` (`{"inputs", "parameters"}`), validated the way TGI's router does, with its defaults:
/// greedy unless `do_sample` or a sampling parameter asks otherwise, no top-k or top-p, `details` off.
struct TGIRequest {
    var inputs: String
    var parameters: GenerationParameters
    /// Tokens of the prompt to keep from its end (`truncate`); nil keeps all.
    var truncate: Int?
    /// Whether `max_new_tokens` was given; TGI fills what the context leaves otherwise.
    var maxNewTokensGiven: Bool
    var details: Bool
    var returnFullText: Bool
    var stream: Bool
    /// Whether the seed was drawn by the server (reported in details only when sampling).
    var sampling: Bool

    static let maxStopSequences = 4

    init(_ body: JSONFields) throws {
        guard let inputs = try body.string("inputs") else { throw APIError(.validation, "`inputs` is required", parameter: "inputs") }
        guard !inputs.isEmpty else { throw APIError(.validation, "`inputs` cannot be empty", parameter: "inputs") }
        self.inputs = inputs
        stream = try body.bool("stream") ?? false
        let fields = try body.nested("parameters") ?? JSONFields([:], prefix: "parameters.")

        var parameters = GenerationParameters()
        // TGI's own defaults: no top-k, no top-p, temperature 1, penalty 1.
        parameters.topK = 0
        parameters.topP = 1
        parameters.temperature = 1
        parameters.repetitionPenalty = 1

        if let temperature = try fields.double("temperature") {
            guard temperature > 0 else { throw APIError(.validation, "`temperature` must be strictly positive", parameter: "temperature") }
            parameters.temperature = Float(temperature)
        }
        if let penalty = try fields.double("repetition_penalty") {
            guard penalty > 0 else { throw APIError(.validation, "`repetition_penalty` must be strictly positive", parameter: "repetition_penalty") }
            parameters.repetitionPenalty = Float(penalty)
        }
        if let topK = try fields.integer("top_k") {
            guard topK > 0 else { throw APIError(.validation, "`top_k` must be strictly positive", parameter: "top_k") }
            parameters.topK = topK
        }
        if let topP = try fields.double("top_p") {
            guard topP > 0, topP < 1 else { throw APIError(.validation, "`top_p` must be > 0.0 and < 1.0", parameter: "top_p") }
            parameters.topP = Float(topP)
        }
        try Self.refuseUnsupported(fields)
        if let maxNewTokens = try fields.integer("max_new_tokens") {
            guard maxNewTokens > 0 else { throw APIError(.validation, "`max_new_tokens` must be strictly positive", parameter: "max_new_tokens") }
            parameters.maxNewTokens = maxNewTokens
            maxNewTokensGiven = true
        } else {
            maxNewTokensGiven = false
        }
        if let truncate = try fields.integer("truncate") {
            guard truncate > 0 else { throw APIError(.validation, "`truncate` must be strictly positive", parameter: "truncate") }
            self.truncate = truncate
        }
        let stop = try fields.strings("stop", single: false) ?? []
        guard stop.count <= Self.maxStopSequences else {
            throw APIError(.validation, "`stop` supports up to \(Self.maxStopSequences) stop sequences. Given: \(stop.count)", parameter: "stop")
        }
        parameters.stopStrings = stop
        // TGI samples when asked to, or when any sampling parameter departs from its neutral value.
        let warped = parameters.temperature != 1 || parameters.topK != 0 || parameters.topP < 1
        sampling = (try fields.bool("do_sample") ?? false) || warped
        parameters.greedy = !sampling
        parameters.seed = try fields.seed("seed") ?? UInt64.random(in: 0...UInt64.max)
        details = try fields.bool("details") ?? false
        returnFullText = try fields.bool("return_full_text") ?? false
        self.parameters = parameters
    }

    /// Parameters TGI has that this engine does not implement: refused by name rather than silently ignored.
    private static func refuseUnsupported(_ fields: JSONFields) throws {
        if let bestOf = try fields.integer("best_of"), bestOf > 1 {
            throw APIError(.validation, "`best_of` > 1 is not supported by this server; send separate requests with different seeds", parameter: "best_of")
        }
        if let typical = try fields.double("typical_p"), typical < 1 {
            throw APIError(.validation, "`typical_p` is not supported by this server", parameter: "typical_p")
        }
        if let frequency = try fields.double("frequency_penalty"), frequency != 0 {
            throw APIError(.validation, "`frequency_penalty` is not supported by this server; use `repetition_penalty`", parameter: "frequency_penalty")
        }
        if try fields.bool("watermark") == true {
            throw APIError(.validation, "`watermark` is not supported by this server", parameter: "watermark")
        }
        if try fields.bool("decoder_input_details") == true {
            throw APIError(.validation, "`decoder_input_details` is not supported by this server", parameter: "decoder_input_details")
        }
        if let top = try fields.integer("top_n_tokens"), top > 0 {
            throw APIError(.validation, "`top_n_tokens` is not supported by this server", parameter: "top_n_tokens")
        }
        for name in ["grammar", "adapter_id"] where fields.has(name) {
            throw APIError(.validation, "`\(name)` is not supported by this server", parameter: name)
        }
    }
}
