import CKernels

/// Every tensor element or block type a model file can hold, by GGML's numeric id (GGUF stores these), and
/// everything the project knows about each: its block layout, spelling, what the kernels compute with it
/// (from the C traits table, Sources/CKernels/traits.c) and what a model file of it is called.
///
/// Adding a block format is its C bodies, one row of the C table and one case here (with its line in
/// `traits`). Safetensors files only ever give `.f32`, `.f16` and `.bf16`. Readers report the types they see
/// even when the engine cannot compute with them, so the error can name the type ("unsupported tensor type
/// IQ2_XXS").
///
/// Cases are declared in the order the command line and pipeline files list the choices.
public enum TensorType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, bf16 = 30, q8_0 = 8, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39

    /// What the project itself declares per type; the kernels' side comes from C (`kernels`).
    public struct Traits: Sendable {
        /// GGML's spelling ("Q4_K", "F16", "BF16").
        public let name: String
        /// Elements per block (1 for plain types).
        public let blockSize: Int
        public let bytesPerBlock: Int
        /// llama.cpp's `general.file_type` (LLAMA_FTYPE_*) for a model whose 2-D weights are of this type; nil
        /// for types `quantize --type`, `--quantize` and `model.quantize` do not offer.
        public let llamaFileType: UInt32?
        /// What a K-quant file gives matrices whose rows are not a whole number of its blocks (llama-quantize's
        /// fallbacks).
        public let shortRowFallback: TensorType?

        init(_ name: String, _ blockSize: Int, _ bytesPerBlock: Int, file: UInt32? = nil, shortRows: TensorType? = nil) {
            self.name = name
            self.blockSize = blockSize
            self.bytesPerBlock = bytesPerBlock
            llamaFileType = file
            shortRowFallback = shortRows
        }
    }

    public var traits: Traits {
        switch self {
        case .f32: return Traits("F32", 1, 4, file: 0)
        case .f16: return Traits("F16", 1, 2, file: 1)
        case .bf16: return Traits("BF16", 1, 2, file: 32)
        case .q8_0: return Traits("Q8_0", 32, 34, file: 7)
        case .q4_0: return Traits("Q4_0", 32, 18, file: 2)
        case .q4_1: return Traits("Q4_1", 32, 20, file: 3)
        case .q5_0: return Traits("Q5_0", 32, 22, file: 8)
        case .q5_1: return Traits("Q5_1", 32, 24, file: 9)
        case .q8_1: return Traits("Q8_1", 32, 36)
        case .q2_K: return Traits("Q2_K", 256, 84)
        case .q3_K: return Traits("Q3_K", 256, 110)
        case .q4_K: return Traits("Q4_K", 256, 144, file: 14, shortRows: .q5_0)
        case .q5_K: return Traits("Q5_K", 256, 176, file: 16, shortRows: .q5_1)
        case .q6_K: return Traits("Q6_K", 256, 210, file: 18, shortRows: .q8_0)
        case .q8_K: return Traits("Q8_K", 256, 292)
        case .iq2_xxs: return Traits("IQ2_XXS", 256, 66)
        case .iq2_xs: return Traits("IQ2_XS", 256, 74)
        case .iq3_xxs: return Traits("IQ3_XXS", 256, 98)
        case .iq1_s: return Traits("IQ1_S", 256, 50)
        case .iq4_nl: return Traits("IQ4_NL", 32, 18)
        case .iq3_s: return Traits("IQ3_S", 256, 110)
        case .iq2_s: return Traits("IQ2_S", 256, 82)
        case .iq4_xs: return Traits("IQ4_XS", 256, 136)
        case .i8: return Traits("I8", 1, 1)
        case .i16: return Traits("I16", 1, 2)
        case .i32: return Traits("I32", 1, 4)
        case .i64: return Traits("I64", 1, 8)
        case .f64: return Traits("F64", 1, 8)
        case .iq1_m: return Traits("IQ1_M", 256, 56)
        case .tq1_0: return Traits("TQ1_0", 256, 54)
        case .tq2_0: return Traits("TQ2_0", 256, 66)
        case .mxfp4: return Traits("MXFP4", 32, 17)
        }
    }

    /// Elements per block (1 for plain types).
    public var blockSize: Int { traits.blockSize }
    /// Bytes per block.
    public var bytesPerBlock: Int { traits.bytesPerBlock }
    /// Bytes of `count` values (a whole number of blocks).
    public func rowBytes(count: Int) -> Int { count / blockSize * bytesPerBlock }
    /// GGML's spelling ("Q4_K", "F16", "BF16").
    public var description: String { traits.name }

    // MARK: What the kernels compute with it (the C traits table)

    /// The C table's row (all zeros for a type the kernels do not know).
    var kernels: ck_type_info { ck_type_traits(rawValue) }

    /// Whether the kernels know the type at all (its block layout then agrees with `traits`; a test checks).
    public var isKnownToKernels: Bool { kernels.block_values > 0 }

    /// Quant block formats (weights and activation-only formats), as opposed to plain element types.
    public var isQuantized: Bool { kernels.block_values > 1 }

    /// The format activations are quantized to for this weight type's integer dot product (llama.cpp's
    /// `vec_dot_type`): Q8_0 for the symmetric legacy types, Q8_1 (which carries d·Σq) for the ones with a
    /// minimum, Q8_K (with 16-element sums) for the K types. nil for types without integer dot products.
    public var activationFormat: TensorType? { TensorType(rawValue: kernels.activation_type).flatMap { $0 == .f32 ? nil : $0 } }

    /// One token's product runs on integer dot products over the stored blocks (`QuantizedKernels.dotRows`).
    public var hasIntegerDecode: Bool { kernels.has_decode != 0 }
    /// Several tokens' product can run on the f32 panel kernel (`PanelProduct`) where the CPU has its body.
    public var hasPanelPrefill: Bool { kernels.has_prefill_panels != 0 }
    /// Several tokens' product can run on the int8 tiles (`Int8Product`) where the CPU has AVX-512 VNNI.
    public var hasInt8Prefill: Bool { kernels.has_prefill_int8 != 0 }
    /// … and where it has AVX2 without VNNI (the 4- and 5-bit legacy formats, whose stored quants are small
    /// enough for 16-bit sums).
    public var hasAVX2Int8Prefill: Bool { kernels.has_prefill_int8_avx2 != 0 }

    /// The engine computes with rows of this type: plain floats, or blocks it can dequantize.
    public var isComputable: Bool { self == .f32 || self == .f16 || self == .bf16 || hasIntegerDecode }

    /// Every quant block format the kernels know, in declaration order.
    public static let quantFormats: [TensorType] = allCases.filter(\.isQuantized)
    /// The weight formats: those with integer dot products (every quant format but the activation-only Q8_1, Q8_K).
    public static let weightFormats: [TensorType] = allCases.filter(\.hasIntegerDecode)

    // MARK: Converting rows

    /// Dequantizes (or widens, or copies) `count` values (whole blocks) of this type from `row` into `output`:
    /// the fast C body for quant blocks. Only for `isComputable` types.
    @inline(__always)
    public func dequantize(_ row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32:
            output.update(from: row.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            HalfRowDot.widen(row, count: count, into: output)
        case .bf16:
            for i in 0..<count {
                output[i] = HalfPrecision.float(fromBFloat16: row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        default:
            let status = ck_dequantize_row(rawValue, row, output, Int64(count))
            precondition(status == 0, "\(self) has no dequantizer")
        }
    }

    /// Whether `quantize` writes this type: the plain floats and every quant format the reference quantizers know.
    public var isQuantizable: Bool { self == .f32 || self == .f16 || self == .bf16 || isQuantized }

    /// Writes `count` f32 values as this type (`rowBytes(count:)` bytes): f32 copied, halves and bfloat16
    /// rounded to nearest even, quant blocks by llama.cpp's reference algorithms (`ReferenceQuantizer`).
    public func quantize(_ row: UnsafePointer<Float>, count: Int, into output: UnsafeMutableRawPointer) {
        switch self {
        case .f32: output.copyMemory(from: row, byteCount: count * 4)
        case .f16: for i in 0..<count { output.storeBytes(of: HalfPrecision.half(from: row[i]), toByteOffset: i * 2, as: UInt16.self) }
        case .bf16: for i in 0..<count { output.storeBytes(of: HalfPrecision.bfloat16(from: row[i]), toByteOffset: i * 2, as: UInt16.self) }
        default: ReferenceQuantizer.quantize(self, row, count: count, into: output)
        }
    }

    // MARK: Choices offered to users

    /// The types a model file's 2-D weights can be written as (`quantize --type`, `--quantize`,
    /// `model.quantize`), in the order they are listed.
    public static let fileTypes: [TensorType] = allCases.filter { $0.traits.llamaFileType != nil && $0.isQuantizable }

    /// The spelling users type: "q4_0", "q4_k", "bf16".
    public var argumentName: String { description.lowercased() }

    /// One of `fileTypes` by its `argumentName`, in any case.
    public init?(fileTypeName name: String) {
        guard let type = Self.fileTypes.first(where: { $0.argumentName == name.lowercased() }) else { return nil }
        self = type
    }
}
