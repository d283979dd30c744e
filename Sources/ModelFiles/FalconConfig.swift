import Foundation

/// The hyper-parameters of a Falcon model, from a Hugging Face `config.json` (with every historical alias)
/// or from GGUF `falcon.*` metadata.
public struct FalconConfig: Equatable, Sendable {
    public var hiddenSize: Int
    public var headCount: Int
    /// After the KV-head rule: `new_decoder_architecture ? num_kv_heads : (multi_query ? 1 : num_attention_heads)`.
    public var kvHeadCount: Int
    public var layerCount: Int
    public var vocabularySize: Int
    public var feedForwardSize: Int
    public var newDecoderArchitecture: Bool
    /// Layer norms per layer in the new decoder (2: ln_attn + ln_mlp; 1: one input_layernorm).
    public var layerNormsPerLayer: Int
    public var parallelAttention: Bool
    public var alibi: Bool
    public var bias: Bool
    public var layerNormEpsilon: Float
    public var ropeTheta: Float
    public var contextLength: Int
    public var bosTokenID: Int
    public var eosTokenID: Int

    public var headDimension: Int { hiddenSize / headCount }

    /// A short name of the layout, for people.
    public var layoutName: String {
        if newDecoderArchitecture { return "new decoder (Falcon-40B/180B style): grouped QKV with \(kvHeadCount) KV heads, \(layerNormsPerLayer == 2 ? "ln_attn + ln_mlp" : "one layer norm")" }
        if alibi { return "Falcon-RW: ALiBi, \(parallelAttention ? "parallel" : "sequential") attention, \(bias ? "biases" : "no biases")" }
        if kvHeadCount == 1 { return "Falcon-7B style: multi-query, \(parallelAttention ? "parallel" : "sequential") attention, one layer norm" }
        return "multi-head attention (\(kvHeadCount) KV heads), \(parallelAttention ? "parallel" : "sequential")"
    }

    public init(hiddenSize: Int, headCount: Int, kvHeadCount: Int, layerCount: Int, vocabularySize: Int,
                feedForwardSize: Int, newDecoderArchitecture: Bool = false, layerNormsPerLayer: Int = 1,
                parallelAttention: Bool = true, alibi: Bool = false, bias: Bool = false, layerNormEpsilon: Float = 1e-5,
                ropeTheta: Float = 10_000, contextLength: Int = 2048, bosTokenID: Int = 11, eosTokenID: Int = 11) {
        self.hiddenSize = hiddenSize
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.layerCount = layerCount
        self.vocabularySize = vocabularySize
        self.feedForwardSize = feedForwardSize
        self.newDecoderArchitecture = newDecoderArchitecture
        self.layerNormsPerLayer = layerNormsPerLayer
        self.parallelAttention = parallelAttention
        self.alibi = alibi
        self.bias = bias
        self.layerNormEpsilon = layerNormEpsilon
        self.ropeTheta = ropeTheta
        self.contextLength = contextLength
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
    }

    /// Reads a Hugging Face `config.json`.
    public init(huggingFaceConfig path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelFileError(path, "cannot read") }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelFileError(path, "not a JSON object")
        }
        try self.init(huggingFaceJSON: json, path: path)
    }

    public init(huggingFaceJSON json: [String: Any], path: String) throws {
        func number(_ keys: String...) -> NSNumber? {
            for key in keys { if let value = json[key] as? NSNumber { return value } }
            return nil
        }
        func flag(_ key: String, _ fallback: Bool) -> Bool { (json[key] as? NSNumber)?.boolValue ?? fallback }
        let modelType = json["model_type"] as? String ?? "falcon"
        guard ["falcon", "RefinedWeb", "RefinedWebModel"].contains(modelType) else {
            throw ModelFileError(path, "model_type \"\(modelType)\" is not Falcon (falcon, RefinedWeb or RefinedWebModel)")
        }
        guard let hidden = number("hidden_size", "n_embed")?.intValue,
              let heads = number("num_attention_heads", "n_head")?.intValue,
              let layers = number("num_hidden_layers", "n_layer")?.intValue else {
            throw ModelFileError(path, "needs hidden_size (n_embed), num_attention_heads (n_head) and num_hidden_layers (n_layer)")
        }
        // The original RefinedWeb (40B) configs predate new_decoder_architecture; their model type implies it.
        let newDecoder = flag("new_decoder_architecture", modelType == "RefinedWeb")
        let multiQuery = flag("multi_query", modelType != "RefinedWeb" ? true : false)
        let configuredKV = number("num_kv_heads", "n_head_kv")?.intValue ?? heads
        let kvHeads = newDecoder ? configuredKV : (multiQuery ? 1 : heads)
        var ropeTheta = number("rope_theta")?.floatValue ?? 10_000
        if let parameters = json["rope_parameters"] as? [String: Any], let theta = parameters["rope_theta"] as? NSNumber {
            ropeTheta = theta.floatValue
        }
        let layerNorms = newDecoder ? (number("num_ln_in_parallel_attn")?.intValue ?? 2) : 1
        self.init(hiddenSize: hidden, headCount: heads, kvHeadCount: kvHeads, layerCount: layers,
                  vocabularySize: number("vocab_size")?.intValue ?? 65024,
                  feedForwardSize: number("ffn_hidden_size")?.intValue ?? 4 * hidden,
                  newDecoderArchitecture: newDecoder, layerNormsPerLayer: layerNorms,
                  parallelAttention: newDecoder || flag("parallel_attn", true),
                  alibi: flag("alibi", false), bias: flag("bias", false),
                  layerNormEpsilon: number("layer_norm_epsilon")?.floatValue ?? 1e-5, ropeTheta: ropeTheta,
                  contextLength: number("max_position_embeddings")?.intValue ?? 2048,
                  bosTokenID: number("bos_token_id")?.intValue ?? 11, eosTokenID: number("eos_token_id")?.intValue ?? 11)
        try validate(path: path)
    }

    /// Reads llama.cpp's `falcon.*` keys, with the defaults older files rely on (no rope base, no alignment).
    public init(gguf: GGUFFile) throws {
        let path = gguf.file.path
        let metadata = gguf.metadata
        guard let architecture = gguf.architecture else { throw ModelFileError(path, "no general.architecture") }
        guard architecture == "falcon" else { throw ModelFileError(path, "architecture \"\(architecture)\" is not falcon") }
        func integer(_ key: String) throws -> Int {
            guard let value = metadata["falcon." + key]?.int else { throw ModelFileError(path, "missing integer falcon.\(key)") }
            return value
        }
        let hidden = try integer("embedding_length")
        let heads = try integer("attention.head_count")
        let kvHeads = metadata["falcon.attention.head_count_kv"]?.int ?? 1
        let vocabulary = metadata["falcon.vocab_size"]?.int ?? metadata["tokenizer.ggml.tokens"]?.array?.count
            ?? gguf.tensorInfos.first { $0.name == "token_embd.weight" }?.shape.first ?? 0
        let hasSecondNorm = gguf.tensor(named: "blk.0.attn_norm_2.weight") != nil
        self.init(hiddenSize: hidden, headCount: heads, kvHeadCount: kvHeads, layerCount: try integer("block_count"),
                  vocabularySize: vocabulary,
                  feedForwardSize: metadata["falcon.feed_forward_length"]?.int ?? 4 * hidden,
                  // llama.cpp's graph: grouped QKV whenever there are several KV heads, two norms when attn_norm_2 exists.
                  newDecoderArchitecture: kvHeads > 1 || hasSecondNorm, layerNormsPerLayer: hasSecondNorm ? 2 : 1,
                  parallelAttention: true, alibi: false, bias: false,
                  layerNormEpsilon: Float(metadata["falcon.attention.layer_norm_epsilon"]?.double ?? 1e-5),
                  ropeTheta: Float(metadata["falcon.rope.freq_base"]?.double ?? 10_000),
                  contextLength: metadata["falcon.context_length"]?.int ?? 2048,
                  bosTokenID: metadata["tokenizer.ggml.bos_token_id"]?.int ?? 11,
                  eosTokenID: metadata["tokenizer.ggml.eos_token_id"]?.int ?? 11)
        try validate(path: path)
    }

    func validate(path: String) throws {
        func check(_ condition: Bool, _ message: String) throws {
            if !condition { throw ModelFileError(path, message) }
        }
        try check(hiddenSize > 0 && headCount > 0 && layerCount > 0 && vocabularySize > 0 && feedForwardSize > 0,
                  "sizes must be positive (hidden \(hiddenSize), heads \(headCount), layers \(layerCount), vocabulary \(vocabularySize))")
        try check(hiddenSize % headCount == 0, "hidden size \(hiddenSize) is not a multiple of the \(headCount) heads")
        try check(kvHeadCount > 0 && headCount % kvHeadCount == 0, "\(headCount) heads cannot be grouped over \(kvHeadCount) KV heads")
        try check(headDimension % 2 == 0 || alibi, "rotary embeddings need an even head dimension, not \(headDimension)")
        try check(contextLength > 0, "context length must be positive")
    }
}
