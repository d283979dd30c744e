/// The plain scalar reference of the quantized dot products: integer block sums, then one float scale per
/// block, summed in order. The C generic body does the same operations; the AVX2 body differs only in how the
/// per-block float terms are accumulated.
public enum ScalarDot {
    /// Σ over the blocks of one weight row (`format`) · one activation row (`format.activationFormat`).
    public static func dot(_ format: TensorType, weights: UnsafeRawPointer, activations: UnsafeRawPointer, count: Int) -> Float {
        guard let activation = format.activationFormat else { preconditionFailure("\(format) is not a weight format") }
        var sum: Float = 0
        let blocks = count / format.blockSize
        for b in 0..<blocks {
            let wb = weights + b * format.bytesPerBlock
            let ab = BlockBytes(activations + b * activation.bytesPerBlock)
            switch format {
            case .q4_0, .q5_0, .q8_0, .q4_1, .q5_1:
                // The integer weights are the dequantized values at d = 1 (and m = 0).
                let (q, d, m) = smallIntegers(format, BlockBytes(wb))
                let qsOffset = activation == .q8_1 ? 4 : 2
                var isum = 0
                for j in 0..<32 { isum += q[j] * ab.i8(qsOffset + j) }
                let da = ab.half(0)
                if let m {
                    sum += (d * da) * Float(isum) + m * ab.half(2)
                } else {
                    sum += (d * da) * Float(isum)
                }
            default:
                let u = SuperBlock(format, BlockBytes(wb))
                var isum = 0, msum = 0
                for g in 0..<16 {
                    var s = 0
                    for l in 0..<16 { s += u.q[16 * g + l] * ab.i8(4 + 16 * g + l) }
                    isum += s * u.scales[g]
                    msum += u.mins[g] * ab.i16(260 + 2 * g)
                }
                let da = ab.f32(0)
                sum += (u.d * da) * Float(isum) - (u.dmin * da) * Float(msum)
            }
        }
        return sum
    }

    /// The small integers of a 32-block and its scale (and min, for Q4_1/Q5_1).
    static func smallIntegers(_ format: TensorType, _ b: BlockBytes) -> ([Int], Float, Float?) {
        var q = [Int](repeating: 0, count: 32)
        switch format {
        case .q4_0:
            for j in 0..<16 { q[j] = (b.u8(2 + j) & 0xF) - 8; q[j + 16] = (b.u8(2 + j) >> 4) - 8 }
            return (q, b.half(0), nil)
        case .q4_1:
            for j in 0..<16 { q[j] = b.u8(4 + j) & 0xF; q[j + 16] = b.u8(4 + j) >> 4 }
            return (q, b.half(0), b.half(2))
        case .q5_0, .q5_1:
            let affine = format == .q5_1
            let h = b.u32(affine ? 4 : 2), qs = affine ? 8 : 6, offset = affine ? 0 : 16
            for j in 0..<16 {
                q[j] = ((b.u8(qs + j) & 0xF) | Int((h >> UInt32(j)) & 1) << 4) - offset
                q[j + 16] = ((b.u8(qs + j) >> 4) | Int((h >> UInt32(j + 16)) & 1) << 4) - offset
            }
            return (q, b.half(0), affine ? b.half(2) : nil)
        default: // Q8_0
            for j in 0..<32 { q[j] = b.i8(2 + j) }
            return (q, b.half(0), nil)
        }
    }
}
