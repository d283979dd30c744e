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
