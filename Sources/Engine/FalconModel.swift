import Foundation
import Kernels
import ModelFiles
import Tokenization

/// A loaded Falcon model: configuration and memory-mapped weights, shared by any number of sessions.
public final class FalconModel: @unchecked Sendable {
    public let config: FalconConfig
    public let opened: OpenedModel
    let weights: FalconWeights
    /// The workers every product of this model runs on.
    public let pool: ThreadPool
    /// How positions enter attention, resolved once at load.
    let positions: PositionEncoding

    public init(_ opened: OpenedModel, threads: Int = 0) throws {
        self.opened = opened
        config = opened.config
        weights = try FalconWeights(tensors: opened.tensors, config: config, format: opened.format, modelName: opened.path)
        pool = ThreadPool(threads: threads)
        positions = config.alibi ? .alibi(slopes: Self.alibiSlopes(heads: config.headCount)) : Self.rotaryTables(config)
    }

    /// Opens and loads a model path (HF directory, `.gguf`, or a directory with one `.gguf`); given `quantize`,
    /// a Hugging Face checkpoint is quantized in memory while loading (`OpenedModel.open(path:quantize:threads:)`).
    public convenience init(path: String, threads: Int = 0, quantize: TensorType? = nil) throws {
        try self.init(OpenedModel.open(path: path, quantize: quantize, threads: threads), threads: threads)
    }

    public var threadCount: Int { pool.threadCount }

    /// RoPE's cos and sin per position and frequency, `[context][headDim/2]`, as transformers computes them.
    static func rotaryTables(_ config: FalconConfig) -> PositionEncoding {
        let half = config.headDimension / 2
        var cos = [Float](repeating: 0, count: config.contextLength * half)
        var sin = [Float](repeating: 0, count: config.contextLength * half)
        let inverseFrequencies = ropeInverseFrequencies(config)
        for position in 0..<config.contextLength {
            for i in 0..<half {
                let angle = Float(position) * inverseFrequencies[i]
                cos[position * half + i] = Foundation.cos(angle)
                sin[position * half + i] = Foundation.sin(angle)
            }
        }
        return .rotary(cos: cos, sin: sin)
    }

    /// θ^(−2i/d) for each rotated pair. Transformers keeps this buffer in the checkpoint's dtype when it loads
    /// a bf16 or fp16 checkpoint (the reference fixtures were made that way, and Claire ran that way), so the
    /// frequencies are rounded to that dtype before the angles are computed in fp32. GGUF files follow
    /// llama.cpp, which computes them in fp32.
    static func ropeInverseFrequencies(_ config: FalconConfig) -> [Float] {
        (0..<(config.headDimension / 2)).map { i in
            let frequency = 1 / powf(config.ropeTheta, Float(2 * i) / Float(config.headDimension))
            switch config.checkpointDType {
            case "bfloat16": return HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: frequency))
            case "float16": return HalfPrecision.float(fromHalf: HalfPrecision.half(from: frequency))
            default: return frequency
            }
        }
    }

    /// ALiBi's geometric slopes, with the interleaved extra slopes when the head count is not a power of two.
    static func alibiSlopes(heads: Int) -> [Float] {
        let closest = 1 << Int(log2(Double(heads)).rounded(.down))
        let base = pow(2, -8 / Double(closest))
        var slopes = (1...closest).map { pow(base, Double($0)) }
        if closest != heads {
            let extraBase = pow(2, -4 / Double(closest))
            let extra = min(closest, heads - closest)
            slopes += stride(from: 1, through: 2 * extra - 1, by: 2).map { pow(extraBase, Double($0)) }
        }
        return slopes.map { Float($0) }
    }

    /// A fresh KV cache and scratch space for one sequence.
    public func makeSession(maximumBatch: Int = 256) -> InferenceSession {
        InferenceSession(model: self, maximumBatch: maximumBatch)
    }
}

/// How positions enter attention: rotary embeddings of the queries and keys (tables per position and
/// frequency), or ALiBi's per-head slopes added to the scores (Falcon-RW).
enum PositionEncoding {
    case rotary(cos: [Float], sin: [Float])
    case alibi(slopes: [Float])
}
