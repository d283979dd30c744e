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
    /// The dtype a Hugging Face checkpoint declares (`torch_dtype` or `dtype`: "bfloat16", "float16",
    /// "float32"), nil for GGUF. Transformers keeps RoPE's frequency buffer in that dtype.
    public var checkpointDType: String?
    /// Whether the output matrix is the token embedding: `tie_word_embeddings` (default true) in a Hugging
    /// Face config, the absence of `output.weight` in a GGUF file; nil when nobody said.
    public var tiedEmbeddings: Bool?

    public var headDimension: Int { hiddenSize / headCount }

    /// The four Falcon layouts, as a stable identifier for machine output.
    public var layoutID: String {
        if newDecoderArchitecture { return "new-decoder" }
        let attention = alibi ? "alibi" : kvHeadCount == 1 ? "mqa" : kvHeadCount == headCount ? "mha" : "gqa"
        return "\(attention)-\(parallelAttention ? "parallel" : "sequential")"
    }

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
                ropeTheta: Float = 10_000, contextLength: Int = 2048, bosTokenID: Int = 11, eosTokenID: Int = 11, tiedEmbeddings: Bool? = nil) {
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
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Reads a Hugging Face `config.json`.
    public init(huggingFaceConfig url: URL) throws {
        try self.init(huggingFaceConfig: url.path)
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
        // Integers must be whole numbers of a sane size: a hostile 1e300 must not trap an Int conversion.
        func integer(_ keys: String...) throws -> Int? {
            for key in keys {
                guard let value = json[key], !(value is NSNull) else { continue }
                guard let number = value as? NSNumber, let whole = Int(exactly: number.doubleValue), abs(whole) <= 1 << 40 else {
                    throw ModelFileError(path, "\(key) must be an integer, not \(value)")
                }
                return whole
            }
            return nil
        }
        func real(_ key: String, in object: [String: Any]) throws -> Float? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber else { throw ModelFileError(path, "\(key) must be a number, not \(value)") }
            return number.floatValue
        }
        func flag(_ key: String, _ fallback: Bool) -> Bool { (json[key] as? NSNumber)?.boolValue ?? fallback }
        // Token ids may be a list in newer configs; the first one is the one generation stops on.
        func tokenID(_ key: String) throws -> Int? {
            if let list = json[key] as? [NSNumber] {
                guard let first = list.first else { return nil }
                return try integer(fromList: first, key)
            }
            return try integer(key)
        }
        func integer(fromList number: NSNumber, _ key: String) throws -> Int {
            guard let whole = Int(exactly: number.doubleValue), abs(whole) <= 1 << 40 else { throw ModelFileError(path, "\(key) must hold integers") }
            return whole
        }
        let modelType = json["model_type"] as? String ?? "falcon"
        guard ["falcon", "RefinedWeb", "RefinedWebModel"].contains(modelType) else {
            throw ModelFileError(path, "model_type \"\(modelType)\" is not Falcon (falcon, RefinedWeb or RefinedWebModel)")
        }
        guard let hidden = try integer("hidden_size", "n_embed"),
              let heads = try integer("num_attention_heads", "n_head"),
              let layers = try integer("num_hidden_layers", "n_layer") else {
            throw ModelFileError(path, "needs hidden_size (n_embed), num_attention_heads (n_head) and num_hidden_layers (n_layer)")
        }
        // Custom-code RW configs predate new_decoder_architecture. transformers' conversion script
        // (convert_custom_code_checkpoint.py) sets it exactly when the config has n_head_kv, which the 40B
        // ("RefinedWeb") configs have and the 7B ("RefinedWebModel") ones do not.
        let isCustomCode = modelType != "falcon"
        let newDecoder = flag("new_decoder_architecture", isCustomCode && (json["n_head_kv"] is NSNumber || modelType == "RefinedWeb"))
        let multiQuery = flag("multi_query", true)
        let configuredKV = try integer("num_kv_heads", "n_head_kv") ?? heads
        // transformers' FalconAttention: num_kv_heads only counts for the new decoder or without multi_query.
        let kvHeads = newDecoder ? configuredKV : (multiQuery ? 1 : heads)
        var ropeTheta = try real("rope_theta", in: json) ?? 10_000
        if let parameters = json["rope_parameters"] as? [String: Any], let theta = try real("rope_theta", in: parameters) {
            ropeTheta = theta
        }
        let layerNorms = newDecoder ? (try integer("num_ln_in_parallel_attn") ?? 2) : 1
        self.init(hiddenSize: hidden, headCount: heads, kvHeadCount: kvHeads, layerCount: layers,
                  vocabularySize: try integer("vocab_size") ?? 65024,
                  feedForwardSize: try integer("ffn_hidden_size") ?? 4 * hidden,
                  newDecoderArchitecture: newDecoder, layerNormsPerLayer: layerNorms,
                  parallelAttention: newDecoder || flag("parallel_attn", true),
                  alibi: flag("alibi", false), bias: flag("bias", false),
                  layerNormEpsilon: try real("layer_norm_epsilon", in: json) ?? 1e-5, ropeTheta: ropeTheta,
                  contextLength: try integer("max_position_embeddings") ?? 2048,
                  bosTokenID: try tokenID("bos_token_id") ?? 11, eosTokenID: try tokenID("eos_token_id") ?? 11,
                  tiedEmbeddings: flag("tie_word_embeddings", true))
        checkpointDType = json["torch_dtype"] as? String ?? json["dtype"] as? String
        try validate(path: path)
    }

    /// Reads llama.cpp's `falcon.*` keys, with the defaults older files rely on (no rope base, no alignment).
    public init(gguf: GGUFFile) throws {
        let path = gguf.file.path
        let metadata = gguf.metadata
        guard let architecture = gguf.architecture else { throw ModelFileError(path, "no general.architecture") }
        guard architecture == "falcon" else { throw ModelFileError(path, "architecture \"\(architecture)\" is not falcon") }
        /// An integer key of any width, bounded so that no arithmetic on it can overflow.
        func optionalInteger(_ key: String) throws -> Int? {
            guard let value = metadata[key] else { return nil }
            guard let number = value.int, abs(number) <= 1 << 40 else { throw ModelFileError(path, "\(key) must be an integer, not \(value)") }
            return number
        }
        func integer(_ key: String) throws -> Int {
            guard let value = try optionalInteger("falcon." + key) else { throw ModelFileError(path, "missing integer falcon.\(key)") }
            return value
        }
        func real(_ key: String) throws -> Double? {
            guard let value = metadata[key] else { return nil }
            guard let number = value.double else { throw ModelFileError(path, "\(key) must be a number, not \(value)") }
            return number
        }
        let hidden = try integer("embedding_length")
        let heads = try integer("attention.head_count")
        // llama.cpp's default when the key is missing: as many KV heads as heads.
        let kvHeads = try optionalInteger("falcon.attention.head_count_kv") ?? heads
        let vocabulary = try optionalInteger("falcon.vocab_size") ?? metadata["tokenizer.ggml.tokens"]?.array?.count
            ?? gguf.tensor(named: "token_embd.weight")?.info.shape.first ?? 0
        let hasSecondNorm = gguf.tensor(named: "blk.0.attn_norm_2.weight") != nil
        if let rotary = try optionalInteger("falcon.rope.dimension_count"), heads > 0, rotary != hidden / heads {
            throw ModelFileError(path, "falcon.rope.dimension_count \(rotary) differs from the head dimension \(hidden / max(heads, 1)); partial rotary embeddings are not Falcon's")
        }
        self.init(hiddenSize: hidden, headCount: heads, kvHeadCount: kvHeads, layerCount: try integer("block_count"),
                  vocabularySize: vocabulary,
                  feedForwardSize: try optionalInteger("falcon.feed_forward_length") ?? 4 * hidden,
                  // llama.cpp's Falcon graph is always parallel with Q|K|V rows already split (the "jploski"
                  // layout), for any KV-head count; only attn_norm_2 (40B/180B) marks the new decoder.
                  newDecoderArchitecture: hasSecondNorm, layerNormsPerLayer: hasSecondNorm ? 2 : 1,
                  parallelAttention: true, alibi: false, bias: false,
                  layerNormEpsilon: Float(try real("falcon.attention.layer_norm_epsilon") ?? 1e-5),
                  ropeTheta: Float(try real("falcon.rope.freq_base") ?? 10_000),
                  contextLength: try optionalInteger("falcon.context_length") ?? 2048,
                  bosTokenID: try optionalInteger("tokenizer.ggml.bos_token_id") ?? 11,
                  eosTokenID: try optionalInteger("tokenizer.ggml.eos_token_id") ?? 11,
                  tiedEmbeddings: gguf.tensor(named: "output.weight") == nil)
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
        try check((0..<vocabularySize).contains(bosTokenID) && (0..<vocabularySize).contains(eosTokenID),
                  "bos/eos token ids \(bosTokenID)/\(eosTokenID) are not below the vocabulary size \(vocabularySize)")
        try check(headDimension % 2 == 0 || alibi, "rotary embeddings need an even head dimension, not \(headDimension)")
        try check(contextLength > 0, "context length must be positive")
        // Upper bounds far above any Falcon (180B: hidden 14848, 80 layers) keep a hostile config from
        // sizing the engine's buffers (llama.cpp had an out-of-bounds write from block_count > 512).
        try check(hiddenSize <= 1 << 16 && feedForwardSize <= 1 << 18 && headCount <= 1 << 12,
                  "sizes are implausibly large (hidden \(hiddenSize), feed-forward \(feedForwardSize), heads \(headCount))")
        try check(layerCount <= 512, "\(layerCount) layers is more than the 512 any loader allows")
        try check(vocabularySize <= 1 << 22, "vocabulary of \(vocabularySize) tokens is implausibly large")
        try check(contextLength <= 1 << 20, "context length \(contextLength) is implausibly large")
        try check(layerNormEpsilon.isFinite && layerNormEpsilon >= 0, "layer_norm_epsilon \(layerNormEpsilon) is not a finite non-negative number")
        try check(ropeTheta.isFinite && ropeTheta > 0, "rope theta \(ropeTheta) is not a finite positive number")
    }
}
