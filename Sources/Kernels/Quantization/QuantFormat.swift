/// The GGML quant block formats this layer computes with, by GGML type id.
///
/// Kernels does not depend on ModelFiles, so this is its own small enum; the raw values are the ids
/// `ModelFiles.TensorType` uses (`QuantFormat(rawValue: tensorType.rawValue)`).
public enum QuantFormat: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15

    /// Weights per block.
    public var blockSize: Int {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1: return 32
        default: return 256
        }
    }

    public var bytesPerBlock: Int {
        switch self {
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q8_1: return 36
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        case .q8_K: return 292
        }
    }

    /// The format activations are quantized to for this weight format's integer dot product (llama.cpp's
    /// `vec_dot_type`): Q8_0 for the symmetric legacy types, Q8_1 (which carries d·Σq) for the ones with a
    /// min, Q8_K (with 16-element sums) for the K types. `nil` for the activation formats themselves,
    /// except Q8_0, which is its own.
    public var activationFormat: QuantFormat? {
        switch self {
        case .q4_0, .q5_0, .q8_0: return .q8_0
        case .q4_1, .q5_1: return .q8_1
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return .q8_K
        case .q8_1, .q8_K: return nil
        }
    }

    /// Bytes of `count` values (a whole number of blocks).
    public func rowBytes(count: Int) -> Int { count / blockSize * bytesPerBlock }

    public var description: String {
        switch self {
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q8_1: return "Q8_1"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .q8_K: return "Q8_K"
        }
    }

    /// The weight formats (everything but the activation-only Q8_1 and Q8_K).
    public static let weightFormats: [QuantFormat] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
}
