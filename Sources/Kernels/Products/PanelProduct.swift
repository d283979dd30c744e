import CKernels

/// Prefill in f32 over weight rows in their stored format (f32, f16, bf16 or quant blocks): the C kernel
/// widens or dequantizes a cache-sized block of rows at a time into column-interleaved panels and runs
/// register tiles of 16 rows × 6 tokens (AVX2) or 32 × 6 (AVX-512) over them, so the matrix is never
/// copied whole and the activations are never repacked. Where the CPU has no AVX2/F16C body, callers use BLAS over dequantized tiles.
public enum PanelProduct {
    /// Whether rows of `columns` values stored as `type` have a fast body on this CPU.
    public static func isAvailable(type: TensorType, columns: Int) -> Bool { ck_gemm_rows_supported(type.rawValue, Int64(columns)) != 0 }

    /// The rows the C kernel widens or dequantizes at a time: a worker's share is best a multiple of it.
    public static var rowBlock: Int { Int(ck_gemm_rows_row_block()) }

    /// The floats of scratch each concurrent caller needs (best on a 64-byte boundary).
    public static var scratchCount: Int { Int(ck_gemm_rows_scratch_floats()) }

    /// Which register tiles run: the best for this CPU (32 × 6 zmm tiles where there is AVX-512), or the
    /// AVX2 ones whatever the CPU, so that tests check both on a machine that has both.
    public enum Tiles: Sendable, CaseIterable {
        case best, avx2
    }

    /// Whether `.best` means the AVX-512 tiles on this CPU.
    public static var usesAVX512: Bool { ck_gemm_rows_uses_avx512() != 0 }

    /// `y[t * ldy + r] = x[t] · W[r]` for `t < tokens` and `r` in `rows`, W's rows `rowBytes` apart. Returns
    /// false, computing nothing, where `isAvailable` is false.
    @inline(__always)
    public static func multiply(type: TensorType, _ x: UnsafePointer<Float>, tokens: Int, weights: UnsafeRawPointer, rowBytes: Int,
                                rows: Range<Int>, columns: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                                scratch: UnsafeMutablePointer<Float>, tiles: Tiles = .best) -> Bool {
        let body = tiles == .best ? ck_gemm_rows : ck_gemm_rows_avx2
        return body(type.rawValue, x, Int64(columns), Int64(tokens), weights, rowBytes, Int64(rows.lowerBound), Int64(rows.upperBound),
                    Int64(columns), y, Int64(ldy), scratch) == 0
    }
}
