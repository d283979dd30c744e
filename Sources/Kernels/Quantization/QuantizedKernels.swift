import CKernels

/// The fast quantized kernels the engine calls (C; AVX2 or AVX-512 VNNI bodies chosen at run time, see
/// Sources/CKernels).
///
/// Decode (one token), per weight matrix W `[rows, columns]` stored as `format` blocks:
/// ```
/// let act = QuantizedKernels.activationBytes(for: format, columns: columns)   // caller-owned scratch
/// QuantizedKernels.quantizeActivations(for: format, x, columns: columns, into: scratch)  // once per product
/// // then, on each worker, for its slice of rows:
/// QuantizedKernels.dotRows(format, weights: base, rowBytes: rowBytes, rows: slice, columns: columns,
///                          activations: scratch, into: y)           // y[r] for r in slice
/// ```
/// Prefill (several tokens) does not come here: see `MatrixProduct`, which chooses between this, `PanelProduct`
/// and `Int8Product`.
///
/// Nothing here allocates; every buffer is the caller's. Activations are quantized like llama.cpp's CPU
/// backend (`TensorType.activationFormat`, llama.cpp's vec_dot_type), so a product differs from the
/// f32 one by the activation rounding (≈ 0.4 % of each value for 8 bits) plus float summation order.
public enum QuantizedKernels {
    /// True when the AVX2/FMA/F16C bodies are in use on this CPU.
    public static var usesAVX2: Bool { ck_uses_avx2() != 0 }

    /// True when this CPU runs the AVX-512 VNNI eight-row bodies of the types that have them (the legacy
    /// formats; Sources/CKernels/traits.c), where it has no VBMI ones (`usesVBMI512`) or `Bodies.vnni512` asks.
    public static var usesVNNI512: Bool { ck_dot_rows_uses_vnni512() != 0 }

    /// True when decode of the types with AVX-512 VBMI + VNNI bodies (the 4- and 5-bit legacy formats) runs them
    /// (four blocks of a row per register) on this CPU.
    public static var usesVBMI512: Bool { ck_dot_rows_uses_vbmi512() != 0 }

    /// Which decode bodies run: the best this CPU has (AVX-512 VBMI or VNNI eight-row or one-row bodies where a type has them); the
    /// AVX-512 VNNI ones, bit-identical to AVX2, even where those exist; the AVX2 ones even where AVX-512
    /// ones exist; or the portable C ones whatever the CPU. Each falls back to the next where the CPU lacks
    /// it, so that tests compare all of them on a machine that has them.
    public enum Bodies: Sendable, CaseIterable {
        case best, vnni512, avx2, generic
    }

    /// Forces the portable C bodies (tests and benchmarks).
    public static func forceGeneric(_ generic: Bool) { ck_force_generic(generic ? 1 : 0) }

    /// Bytes of scratch one activation row of `columns` values needs for weights of `format`.
    /// Q8_0 and Q8_1 blocks are followed by a regrouped copy for the VBMI bodies (`ck_quantize_activations`).
    public static func activationBytes(for format: TensorType, columns: Int) -> Int {
        guard let a = format.activationFormat else { return 0 }
        return Int(ck_activation_bytes(a.rawValue, Int64(columns)))
    }

    /// Quantizes `columns` f32 activations for dot products with `format` weights.
    @inline(__always)
    public static func quantizeActivations(for format: TensorType, _ x: UnsafePointer<Float>, columns: Int,
                                           into scratch: UnsafeMutableRawPointer) {
        guard let a = format.activationFormat else { preconditionFailure("\(format) is not a weight format") }
        precondition(columns % a.blockSize == 0)
        ck_quantize_activations(a.rawValue, x, scratch, Int64(columns))
    }

    /// `y[r] = W[r] · x` for `r` in `rows`, weights at `weights + r·rowBytes`.
    @inline(__always)
    public static func dotRows(_ format: TensorType, weights: UnsafeRawPointer, rowBytes: Int, rows: Range<Int>,
                               columns: Int, activations: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>,
                               bodies: Bodies = .best) {
        let body = switch bodies {
        case .best: ck_dot_rows
        case .vnni512: ck_dot_rows_vnni512
        case .avx2: ck_dot_rows_avx2
        case .generic: ck_dot_rows_generic
        }
        let status = body(format.rawValue, weights, rowBytes, Int64(rows.lowerBound), Int64(rows.upperBound), Int64(columns),
                          activations, y)
        precondition(status == 0, "\(format) rows of \(columns) have no dot product")
    }

    /// `y[t·n + r] = W[r] · x_t` for `r` in `rows` and each of `tokens` activation rows `activationStride` bytes
    /// apart, with the best bodies: each token's numbers are bit for bit `dotRows`'s for that token alone, but
    /// the weights are unpacked once for all tokens where the CPU runs the AVX2 eight-row bodies. `terms`:
    /// from `columnTerms`, made once per product (nil makes them per call).
    @inline(__always)
    public static func dotRowsEachToken(_ format: TensorType, weights: UnsafeRawPointer, rowBytes: Int, rows: Range<Int>,
                                        columns: Int, activations: UnsafeRawPointer, activationStride: Int, tokens: Int,
                                        terms: UnsafeRawPointer?, into y: UnsafeMutablePointer<Float>, outputStride n: Int) {
        let status = ck_dot_rows_columns(format.rawValue, weights, rowBytes, Int64(rows.lowerBound), Int64(rows.upperBound), Int64(columns),
                                         activations, activationStride, Int64(tokens), terms, y, Int64(n))
        precondition(status == 0, "\(format) rows of \(columns) have no dot product")
    }

    /// Bytes of the per-block activation terms `dotRowsEachToken` shares across row ranges (0: it needs none).
    public static func columnTermsBytes(_ format: TensorType, columns: Int, tokens: Int) -> Int {
        ck_column_terms_bytes(format.rawValue, Int64(columns), Int64(tokens))
    }

    /// Those terms (each activation block's scale and quant sum), computed once for a whole product.
    public static func columnTerms(_ format: TensorType, activations: UnsafeRawPointer, activationStride: Int, columns: Int, tokens: Int,
                                   into terms: UnsafeMutableRawPointer) {
        ck_column_terms(format.rawValue, activations, activationStride, Int64(columns), Int64(tokens), terms)
    }

    /// Dequantizes `count` values (whole blocks) with the C body.
    @inline(__always)
    public static func dequantize(_ format: TensorType, _ row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
        ck_dequantize_row(format.rawValue, row, output, Int64(count))
    }
}
