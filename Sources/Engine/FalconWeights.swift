import Kernels
import ModelFiles

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

/// How a layer's norms feed attention and the MLP: resolved once at load from the configuration, so the
/// forward pass follows one case instead of testing flags.
enum BlockLayout {
    /// Attention and the MLP in parallel, both on one norm's output (Falcon-7B; the new decoder with one norm).
    case parallel(Norm)
    /// Attention and the MLP in parallel, each on its own norm (the new decoder's `ln_attn` and `ln_mlp`).
    case parallelTwoNorms(attention: Norm, mlp: Norm)
    /// Attention, its residual, then a second norm and the MLP (Falcon-RW's sequential layout).
    case sequential(input: Norm, postAttention: Norm)

    /// Whether the MLP reads its own norm's output rather than attention's.
    var hasOwnMLPNorm: Bool {
        if case .parallelTwoNorms = self { return true }
        return false
    }

    /// The norm whose output feeds attention.
    var attentionNorm: Norm {
        switch self {
        case let .parallel(norm), let .parallelTwoNorms(norm, _), let .sequential(norm, _): return norm
        }
    }
}

struct LayerWeights {
    var layout: BlockLayout
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
        let names: FalconTensorNames = format == .gguf ? .gguf : .huggingFace
        qkvLayout = format == .gguf ? .split : .grouped
        let hidden = config.hiddenSize
        let qkvRows = (config.headCount + 2 * config.kvHeadCount) * config.headDimension

        func view(_ name: String) throws -> TensorView {
            guard let view = tensors.tensor(named: name) else { throw EngineError.missingTensor(name: name, model: modelName) }
            guard view.info.type.isComputable else {
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
            values.withUnsafeMutableBufferPointer { tensor.info.type.dequantize(tensor.bytes.baseAddress!, count: count, into: $0.baseAddress!) }
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
            let layout: BlockLayout
            if twoNorms {
                // The configuration makes the new decoder parallel.
                layout = .parallelTwoNorms(attention: attentionNorm, mlp: try norm(block + names.mlpNormOfTwo))
            } else if config.parallelAttention {
                layout = .parallel(attentionNorm)
            } else {
                layout = .sequential(input: attentionNorm, postAttention: try norm(block + names.postAttentionNorm))
            }
            layers.append(LayerWeights(
                layout: layout,
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
