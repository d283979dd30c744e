import ModelFiles

/// A linear layer: `y = x · Wᵀ (+ b)`, W stored `[out, in]`.
struct Linear {
    var weight: WeightMatrix
    var bias: [Float]?
}

/// A LayerNorm's parameters.
struct Norm {
    var weight: [Float]
    var bias: [Float]?
}

/// Where the fused QKV projection puts each head's rows.
enum QKVLayout {
    /// Hugging Face: per KV group, its query heads then one K head and one V head (7B MQA, 40B GQA and the
    /// old per-head `[q, k, v]` interleave are all this with G = 1, G, H).
    case grouped
    /// llama.cpp's converter ("jploski"): all Q heads, then all K heads, then all V heads.
    case split
}

struct LayerWeights {
    /// The norm whose output feeds attention (and the MLP too, unless `mlpNorm` is set).
    var attentionNorm: Norm
    /// New decoder with two norms: the MLP's own input norm (`ln_mlp`).
    var mlpNorm: Norm?
    /// Sequential layout (Falcon-RW): the norm between the attention residual and the MLP.
    var postAttentionNorm: Norm?
    var qkv: Linear
    var dense: Linear
    var up: Linear
    var down: Linear
}

/// Every weight of a Falcon model, found by Hugging Face or GGUF names, shape-checked, still memory-mapped.
struct FalconWeights {
    var embedding: WeightMatrix
    var layers: [LayerWeights]
    var finalNorm: Norm
    /// The output projection; the token embedding itself when the model ties them.
    var output: WeightMatrix
    var qkvLayout: QKVLayout

    init(tensors: TensorSource, config: FalconConfig, format: OpenedModel.Format, modelName: String) throws {
        let names: TensorNames = format == .gguf ? .gguf : .huggingFace
        qkvLayout = format == .gguf ? .split : .grouped
        let hidden = config.hiddenSize
        let qkvRows = (config.headCount + 2 * config.kvHeadCount) * config.headDimension

        func view(_ name: String) throws -> TensorView {
            guard let view = tensors.tensor(named: name) else { throw EngineError.missingTensor(name: name, model: modelName) }
            guard RowFormats.isSupported(view.info.type) else {
                throw EngineError.unsupportedTensorType(type: view.info.type.description, name: name, model: modelName)
            }
            return view
        }
        func matrix(_ name: String, rows: Int, columns: Int) throws -> WeightMatrix {
            let tensor = try view(name)
            guard tensor.info.shape == [rows, columns] else {
                throw EngineError.badTensorShape(name: name, shape: tensor.info.shape, expected: [rows, columns], model: modelName)
            }
            return WeightMatrix(tensor, rows: rows, columns: columns)
        }
        func vector(_ name: String, count: Int) throws -> [Float] {
            let tensor = try view(name)
            guard tensor.info.elementCount == count, tensor.info.shape.count == 1 || tensor.info.rowCount == 1 else {
                throw EngineError.badTensorShape(name: name, shape: tensor.info.shape, expected: [count], model: modelName)
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { RowFormats.dequantize(tensor.info.type, tensor.bytes.baseAddress!, count: count, into: $0.baseAddress!) }
            return values
        }
        func optionalVector(_ name: String, count: Int) throws -> [Float]? {
            tensors.tensor(named: name) == nil ? nil : try vector(name, count: count)
        }
        func norm(_ prefix: String) throws -> Norm {
            Norm(weight: try vector(prefix + ".weight", count: hidden), bias: try optionalVector(prefix + ".bias", count: hidden))
        }
        func linear(_ prefix: String, rows: Int, columns: Int) throws -> Linear {
            Linear(weight: try matrix(prefix + ".weight", rows: rows, columns: columns),
                   bias: config.bias ? try optionalVector(prefix + ".bias", count: rows) : nil)
        }

        embedding = try matrix(names.embedding, rows: config.vocabularySize, columns: hidden)
        var layers: [LayerWeights] = []
        for index in 0..<config.layerCount {
            let block = names.block(index)
            let twoNorms = config.newDecoderArchitecture && config.layerNormsPerLayer == 2
            let attentionNorm = try norm(block + (twoNorms ? names.attentionNormOfTwo : names.singleNorm))
            layers.append(LayerWeights(
                attentionNorm: attentionNorm,
                mlpNorm: twoNorms ? try norm(block + names.mlpNormOfTwo) : nil,
                postAttentionNorm: config.parallelAttention ? nil : try norm(block + names.postAttentionNorm),
                qkv: try linear(block + names.qkv, rows: qkvRows, columns: hidden),
                dense: try linear(block + names.dense, rows: hidden, columns: hidden),
                up: try linear(block + names.up, rows: config.feedForwardSize, columns: hidden),
                down: try linear(block + names.down, rows: hidden, columns: config.feedForwardSize)))
        }
        self.layers = layers
        finalNorm = try norm(names.finalNorm)
        if tensors.tensor(named: names.output) != nil {
            output = try matrix(names.output, rows: config.vocabularySize, columns: hidden)
        } else {
            output = embedding
        }
    }
}

/// Tensor names in each file family: Hugging Face's `transformer.h.N.…` and llama.cpp's GGUF `blk.N.…`.
struct TensorNames {
    var embedding: String
    var block: (Int) -> String
    var singleNorm: String
    var attentionNormOfTwo: String
    var mlpNormOfTwo: String
    var postAttentionNorm: String
    var qkv: String
    var dense: String
    var up: String
    var down: String
    var finalNorm: String
    var output: String

    static let huggingFace = TensorNames(
        embedding: "transformer.word_embeddings.weight", block: { "transformer.h.\($0)." },
        singleNorm: "input_layernorm", attentionNormOfTwo: "ln_attn", mlpNormOfTwo: "ln_mlp",
        postAttentionNorm: "post_attention_layernorm", qkv: "self_attention.query_key_value",
        dense: "self_attention.dense", up: "mlp.dense_h_to_4h", down: "mlp.dense_4h_to_h",
        finalNorm: "transformer.ln_f", output: "lm_head.weight")

    /// llama.cpp maps 40B's `ln_mlp` to `attn_norm` and `ln_attn` to `attn_norm_2`.
    static let gguf = TensorNames(
        embedding: "token_embd.weight", block: { "blk.\($0)." },
        singleNorm: "attn_norm", attentionNormOfTwo: "attn_norm_2", mlpNormOfTwo: "attn_norm",
        postAttentionNorm: "ffn_norm", qkv: "attn_qkv", dense: "attn_output", up: "ffn_up", down: "ffn_down",
        finalNorm: "output_norm", output: "output.weight")
}
