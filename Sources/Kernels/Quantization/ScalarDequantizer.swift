/// Plain scalar dequantizers written straight from GGML's block layouts (its `block_q4_0` … `block_q6_K`): the reference the
/// C fast paths are compared against bit for bit. Float operations are in the same order as the fast path
/// (`d·q`, `d·q + m`, `(d·sc)·q − dmin·m`).
public enum ScalarDequantizer {
    /// Dequantizes `count` values (whole blocks) of `format` from `row` into `output`.
    public static func dequantize(_ format: TensorType, _ row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
        let blocks = count / format.blockSize
        for b in 0..<blocks {
            let block = BlockBytes(row + b * format.bytesPerBlock)
            let y = output + b * format.blockSize
            switch format {
            case .q4_0:
                let d = block.half(0)
                for j in 0..<16 {
                    y[j] = Float((block.u8(2 + j) & 0xF) - 8) * d
                    y[j + 16] = Float((block.u8(2 + j) >> 4) - 8) * d
                }
            case .q4_1:
                let d = block.half(0), m = block.half(2)
                for j in 0..<16 {
                    y[j] = Float(block.u8(4 + j) & 0xF) * d + m
                    y[j + 16] = Float(block.u8(4 + j) >> 4) * d + m
                }
            case .q5_0:
                let d = block.half(0), h = block.u32(2)
                for j in 0..<16 {
                    let lo = (block.u8(6 + j) & 0xF) | Int((h >> UInt32(j)) & 1) << 4
                    let hi = (block.u8(6 + j) >> 4) | Int((h >> UInt32(j + 16)) & 1) << 4
                    y[j] = Float(lo - 16) * d
                    y[j + 16] = Float(hi - 16) * d
                }
            case .q5_1:
                let d = block.half(0), m = block.half(2), h = block.u32(4)
                for j in 0..<16 {
                    let lo = (block.u8(8 + j) & 0xF) | Int((h >> UInt32(j)) & 1) << 4
                    let hi = (block.u8(8 + j) >> 4) | Int((h >> UInt32(j + 16)) & 1) << 4
                    y[j] = Float(lo) * d + m
                    y[j + 16] = Float(hi) * d + m
                }
            case .q8_0:
                let d = block.half(0)
                for j in 0..<32 { y[j] = Float(block.i8(2 + j)) * d }
            case .q8_1:
                let d = block.half(0)
                for j in 0..<32 { y[j] = Float(block.i8(4 + j)) * d }
            case .q8_K:
                let d = block.f32(0)
                for j in 0..<256 { y[j] = d * Float(block.i8(4 + j)) }
            case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
                let u = SuperBlock(format, block)
                for g in 0..<16 {
                    let dl = u.d * Float(u.scales[g])
                    let ml = u.dmin * Float(u.mins[g])
                    for i in 0..<16 { y[16 * g + i] = dl * Float(u.q[16 * g + i]) - ml }
                }
            default:
                preconditionFailure("\(format) is not a quant block format")
            }
        }
    }
}

/// A 256-weight K block read into integers: x = (d·scales[g])·q − dmin·mins[g] for the 16 groups of 16.
struct SuperBlock {
    var q = [Int](repeating: 0, count: 256)
    var scales = [Int](repeating: 0, count: 16)
    var mins = [Int](repeating: 0, count: 16)
    var d: Float = 0
    var dmin: Float = 0

    init(_ format: TensorType, _ b: BlockBytes) {
        switch format {
        case .q2_K: // scales[16] qs[64] d dmin
            d = b.half(80); dmin = b.half(82)
            for g in 0..<16 { scales[g] = b.u8(g) & 0xF; mins[g] = b.u8(g) >> 4 }
            for half in 0..<2 {
                for shift in 0..<4 {
                    for l in 0..<32 { q[128 * half + 32 * shift + l] = (b.u8(16 + 32 * half + l) >> (2 * shift)) & 3 }
                }
            }
        case .q3_K: // hmask[32] qs[64] scales[12] d
            d = b.half(108)
            for s in 0..<16 {
                let low = s < 8 ? b.u8(96 + s) & 0xF : b.u8(96 + s - 8) >> 4
                let high = (b.u8(96 + 8 + s % 4) >> (2 * (s / 4))) & 3
                scales[s] = (low | high << 4) - 32
            }
            var mask = 1
            for half in 0..<2 {
                for shift in 0..<4 {
                    for l in 0..<32 {
                        let low = (b.u8(32 + 32 * half + l) >> (2 * shift)) & 3
                        q[128 * half + 32 * shift + l] = low - (b.u8(l) & mask != 0 ? 0 : 4)
                    }
                    mask <<= 1
                }
            }
        case .q4_K, .q5_K: // d dmin scales[12] (qh[32]) qs[128]
            d = b.half(0); dmin = b.half(2)
            for j in 0..<8 {
                let (sc, m) = Self.scaleMinK4(j, b, offset: 4)
                scales[2 * j] = sc; scales[2 * j + 1] = sc
                mins[2 * j] = m; mins[2 * j + 1] = m
            }
            let qsOffset = format == .q4_K ? 16 : 48
            for c in 0..<4 {
                for l in 0..<32 {
                    let byte = b.u8(qsOffset + 32 * c + l)
                    var lo = byte & 0xF, hi = byte >> 4
                    if format == .q5_K {
                        let h = b.u8(16 + l)
                        lo += 16 * ((h >> (2 * c)) & 1)
                        hi += 16 * ((h >> (2 * c + 1)) & 1)
                    }
                    q[64 * c + l] = lo
                    q[64 * c + 32 + l] = hi
                }
            }
        case .q6_K: // ql[128] qh[64] scales[16] d
            d = b.half(208)
            for g in 0..<16 { scales[g] = b.i8(192 + g) }
            for half in 0..<2 {
                for l in 0..<32 {
                    let ql0 = b.u8(64 * half + l), ql1 = b.u8(64 * half + 32 + l), qh = b.u8(128 + 32 * half + l)
                    q[128 * half + l] = ((ql0 & 0xF) | (qh & 3) << 4) - 32
                    q[128 * half + 32 + l] = ((ql1 & 0xF) | ((qh >> 2) & 3) << 4) - 32
                    q[128 * half + 64 + l] = ((ql0 >> 4) | ((qh >> 4) & 3) << 4) - 32
                    q[128 * half + 96 + l] = ((ql1 >> 4) | ((qh >> 6) & 3) << 4) - 32
                }
            }
        default:
            break
        }
    }

    static func scaleMinK4(_ j: Int, _ b: BlockBytes, offset: Int) -> (Int, Int) {
        let s = { b.u8(offset + $0) }
        if j < 4 { return (s(j) & 63, s(j + 4) & 63) }
        return ((s(j + 4) & 0xF) | (s(j - 4) >> 6) << 4, (s(j + 4) >> 4) | (s(j) >> 6) << 4)
    }
}
