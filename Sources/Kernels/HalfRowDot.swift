import CKernels

/// Dot products of f32 activations with weight rows stored as IEEE half or bfloat16, widening in registers
/// so a decode step reads each 16-bit weight once and never writes a widened copy. The C bodies have plain
/// loops beside them (`…Reference`) that the tests compare against. Rows are read unaligned: a safetensors
/// tensor may start at any byte offset.
public enum HalfRowDot {
    /// `y[r] = x · W[r]` for `r` in `rows`, W of f16 rows (`bfloat16: false`) or bfloat16 rows, through the C
    /// bodies (F16C/AVX2 when the CPU has them: Swift cannot widen halves in vector registers portably).
    @inline(__always)
    public static func dotRows(bfloat16: Bool, _ x: UnsafePointer<Float>, weights: UnsafeRawPointer, rowBytes: Int,
                               rows: Range<Int>, columns: Int, into y: UnsafeMutablePointer<Float>) {
        if bfloat16 {
            ck_dot_rows_bf16(x, weights, rowBytes, Int64(rows.lowerBound), Int64(rows.upperBound), Int64(columns), y)
        } else {
            ck_dot_rows_f16(x, weights, rowBytes, Int64(rows.lowerBound), Int64(rows.upperBound), Int64(columns), y)
        }
    }

    /// Whether `multiply` has a fast body for rows of `columns` values on this CPU.
    public static func hasFastMultiply(columns: Int) -> Bool { ck_gemm_half_supported(Int64(columns)) != 0 }

    /// The floats of scratch `multiply` needs, one buffer per concurrent caller (best on a 64-byte boundary).
    public static var multiplyScratchCount: Int { Int(ck_gemm_half_scratch_floats()) }

    /// Prefill: `y[t * ldy + r] = x[t] · W[r]` for `t < tokens`, `r` in `rows`, widening a cache-sized block of
    /// weights at a time into `scratch` (never the whole matrix). Returns false, computing nothing, where the CPU has no fast body
    /// or `columns` is not a multiple of 8 (`hasFastMultiply`); the caller then widens tiles and uses BLAS.
    @inline(__always)
    public static func multiply(bfloat16: Bool, _ x: UnsafePointer<Float>, tokens: Int, weights: UnsafeRawPointer, rowBytes: Int,
                                rows: Range<Int>, columns: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                                scratch: UnsafeMutablePointer<Float>) -> Bool {
        ck_gemm_half(bfloat16 ? 1 : 0, x, Int64(columns), Int64(tokens), weights, rowBytes, Int64(rows.lowerBound),
                     Int64(rows.upperBound), Int64(columns), y, Int64(ldy), scratch) == 0
    }

    /// Halves to f32 (F16C when available); `HalfPrecision.float(fromHalf:)` is the reference.
    @inline(__always)
    public static func widen(_ halves: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
        ck_widen_f16(halves, output, Int64(count))
    }

    /// Σ x[i] · bfloat16(w[i]), in order.
    public static func bfloat16Reference(_ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for i in 0..<count { sum += x[i] * HalfPrecision.float(fromBFloat16: w.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        return sum
    }

    /// Σ x[i] · half(w[i]), in order.
    public static func halfReference(_ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for i in 0..<count { sum += x[i] * HalfPrecision.float(fromHalf: w.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        return sum
    }
}
