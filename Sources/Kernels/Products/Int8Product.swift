import CKernels

/// Prefill of the formats with int8 tiles on 8-bit integer products: the legacy 32-value ones with AVX-512 VNNI
/// (`TensorType.hasInt8Prefill`), the 4- and 5-bit ones with AVX2 alone (`hasAVX2Int8Prefill`). The
/// activations are quantized to 8-bit blocks exactly as decode quantizes them and packed once per product,
/// then each worker unpacks blocks of 64 weight rows and runs tiles of 16 rows × 8 tokens of `vpdpbusd`
/// (16 rows × 4 tokens of `vpmaddubsw` on AVX2). Every block's integer
/// sum is exact; the result is decode's, token by token, up to the order of the float additions.
public enum Int8Product {
    /// Whether this CPU has the body for weights of `type` with rows of `columns` values.
    public static func isAvailable(type: TensorType, columns: Int) -> Bool { ck_gemm_i8_supported(type.rawValue, Int64(columns)) != 0 }

    /// The weight rows the C kernel unpacks at a time: a worker's share is best a multiple of it.
    public static var rowBlock: Int { Int(ck_gemm_i8_row_block()) }

    /// Bytes of packed activations for `tokens` rows of `columns` values.
    public static func activationBytes(tokens: Int, columns: Int) -> Int { Int(ck_gemm_i8_activation_bytes(Int64(tokens), Int64(columns))) }

    /// Bytes of scratch each concurrent `multiply` needs.
    public static var scratchBytes: Int { Int(ck_gemm_i8_scratch_bytes()) }

    /// Tokens per packed group: `packActivations` takes ranges of groups, so workers can share the packing.
    public static let tokensPerGroup = 8

    /// Quantizes and packs the token groups `groups` of `x` (`tokens` rows of `columns` values).
    @inline(__always)
    public static func packActivations(_ x: UnsafePointer<Float>, tokens: Int, columns: Int, groups: Range<Int>, into packed: UnsafeMutableRawPointer) {
        let status = ck_gemm_i8_pack_activations(x, Int64(columns), Int64(tokens), Int64(groups.lowerBound), Int64(groups.upperBound),
                                                 Int64(columns), packed)
        precondition(status == 0, "packActivations: \(columns) columns is not a whole number of 32-blocks")
    }

    /// `y[t * ldy + r] = x[t] · W[r]` for `t < tokens` and `r` in `rows` over activations packed by
    /// `packActivations`. Returns false, computing nothing, where `isAvailable` is false.
    @inline(__always)
    public static func multiply(type: TensorType, packed: UnsafeRawPointer, tokens: Int, weights: UnsafeRawPointer, rowBytes: Int,
                                rows: Range<Int>, columns: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                                scratch: UnsafeMutableRawPointer) -> Bool {
        ck_gemm_i8(type.rawValue, packed, Int64(tokens), weights, rowBytes, Int64(rows.lowerBound), Int64(rows.upperBound), Int64(columns),
                   y, Int64(ldy), scratch) == 0
    }
}
