/// Quantizes f32 rows into GGML blocks with llama.cpp's reference algorithms, byte for byte (see
/// `LegacyQuantizer` and `KQuantizer`). Scalar and slow (the K searches try up to 21 scales per group): meant
/// for writing model files and for tests, not for per-token work — activations go through
/// `QuantizedKernels.quantizeActivations`, which is the same algorithm for Q8_0/Q8_1/Q8_K in C.
public enum ReferenceQuantizer {
    /// Quantizes `count` values (a whole number of `format` blocks) from `x` into `output`
    /// (`format.rowBytes(count:)` bytes).
    public static func quantize(_ format: TensorType, _ x: UnsafePointer<Float>, count: Int, into output: UnsafeMutableRawPointer) {
        precondition(count % format.blockSize == 0, "row length \(count) is not a multiple of \(format)'s block size")
        let blocks = count / format.blockSize
        let all = Array(UnsafeBufferPointer(start: x, count: count))
        for b in 0..<blocks {
            let xb = x + b * format.blockSize
            let out = output + b * format.bytesPerBlock
            var slice: ArraySlice<Float> { all[(b * format.blockSize)..<((b + 1) * format.blockSize)] }
            switch format {
            case .q4_0: LegacyQuantizer.symmetric(xb, out, bits: 4)
            case .q5_0: LegacyQuantizer.symmetric(xb, out, bits: 5)
            case .q4_1: LegacyQuantizer.affine(xb, out, bits: 4)
            case .q5_1: LegacyQuantizer.affine(xb, out, bits: 5)
            case .q8_0: LegacyQuantizer.q8(xb, out, withSum: false)
            case .q8_1: LegacyQuantizer.q8(xb, out, withSum: true)
            case .q8_K: LegacyQuantizer.q8K(xb, out)
            case .q2_K: KQuantizer.q2K(slice, out)
            case .q3_K: KQuantizer.q3K(slice, out)
            case .q4_K: KQuantizer.q45K(slice, out, bits: 4)
            case .q5_K: KQuantizer.q45K(slice, out, bits: 5)
            case .q6_K: KQuantizer.q6K(slice, out)
            default: preconditionFailure("\(format) has no reference quantizer")
            }
        }
    }
}
