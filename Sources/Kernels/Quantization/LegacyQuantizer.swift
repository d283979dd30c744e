/// Round-to-nearest quantizers of the 32-weight formats and of the activation formats, following llama.cpp's
/// `quantize_row_*_ref` algorithms (what llama-quantize runs without an importance matrix), operation for
/// operation so the bytes are identical.
enum LegacyQuantizer {
    /// Q4_0 / Q5_0: d = (signed value of largest magnitude) / −2^(bits−1); q = trunc(x/d + 2^(bits−1) + ½).
    static func symmetric(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, bits: Int) {
        var amax: Float = 0, max: Float = 0
        for j in 0..<32 where amax < abs(x[j]) { amax = abs(x[j]); max = x[j] }
        let half = Float(1 << (bits - 1))
        let d = max / -half
        let id: Float = d != 0 ? 1 / d : 0
        out.storeLE(QuantRounding.half(d), at: 0)
        let top = (1 << bits) - 1
        var qh: UInt32 = 0
        let qs = bits == 4 ? 2 : 6
        for j in 0..<16 {
            let q0 = min(top, QuantRounding.truncate(x[j] * id + (half + 0.5)))
            let q1 = min(top, QuantRounding.truncate(x[j + 16] * id + (half + 0.5)))
            out.storeByte((q0 & 0xF) | (q1 & 0xF) << 4, at: qs + j)
            qh |= UInt32((q0 >> 4) & 1) << UInt32(j) | UInt32((q1 >> 4) & 1) << UInt32(j + 16)
        }
        if bits == 5 { for k in 0..<4 { out.storeByte(Int(qh >> UInt32(8 * k)), at: 2 + k) } }
    }

    /// Q4_1 / Q5_1: d = (max − min)/(2^bits − 1), m = min; q = trunc((x − min)/d + ½).
    static func affine(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, bits: Int) {
        var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < lo { lo = x[j] }
            if x[j] > hi { hi = x[j] }
        }
        let top = (1 << bits) - 1
        let d = (hi - lo) / Float(top)
        let id: Float = d != 0 ? 1 / d : 0
        out.storeLE(QuantRounding.half(d), at: 0)
        out.storeLE(QuantRounding.half(lo), at: 2)
        var qh: UInt32 = 0
        let qs = bits == 4 ? 4 : 8
        for j in 0..<16 {
            var q0 = QuantRounding.truncate((x[j] - lo) * id + 0.5)
            var q1 = QuantRounding.truncate((x[j + 16] - lo) * id + 0.5)
            if bits == 4 { q0 = min(15, q0); q1 = min(15, q1) } // Q5_1's reference does not clamp
            out.storeByte((q0 & 0xF) | (q1 & 0xF) << 4, at: qs + j)
            qh |= UInt32((q0 >> 4) & 1) << UInt32(j) | UInt32((q1 >> 4) & 1) << UInt32(j + 16)
        }
        if bits == 5 { for k in 0..<4 { out.storeByte(Int(qh >> UInt32(8 * k)), at: 4 + k) } }
    }

    /// Q8_0 / Q8_1: d = amax/127, q = round(x/d) half away from zero; Q8_1 also stores s = d·Σq.
    static func q8(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer, withSum: Bool) {
        var amax: Float = 0
        for j in 0..<32 { amax = Swift.max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        out.storeLE(QuantRounding.half(d), at: 0)
        let qs = withSum ? 4 : 2
        var sum = 0
        for j in 0..<32 {
            let q = QuantRounding.truncate((x[j] * id).rounded(.toNearestOrAwayFromZero))
            out.storeByte(q, at: qs + j)
            sum += Int(Int8(truncatingIfNeeded: q))
        }
        if withSum { out.storeLE(QuantRounding.half(Float(sum) * d), at: 2) }
    }

    /// Q8_K: iscale = −127/(signed value of largest magnitude), q = nearest_int(iscale·x) ≤ 127, d = 1/iscale,
    /// plus the sums of each 16 quants.
    static func q8K(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
        var amax: Float = 0, max: Float = 0
        for j in 0..<256 where abs(x[j]) > amax { amax = abs(x[j]); max = x[j] }
        if amax == 0 {
            out.initializeMemory(as: UInt8.self, repeating: 0, count: 292)
            return
        }
        let iscale = -127 / max
        var q = [Int](repeating: 0, count: 256)
        for j in 0..<256 {
            q[j] = Swift.min(127, QuantRounding.nearestInt(iscale * x[j]))
            out.storeByte(q[j], at: 4 + j)
        }
        for g in 0..<16 {
            var s = 0
            for l in 0..<16 { s += q[16 * g + l] }
            out.storeLE(UInt16(bitPattern: Int16(truncatingIfNeeded: s)), at: 260 + 2 * g)
        }
        let d = 1 / iscale
        out.storeBytes(of: d.bitPattern.littleEndian, toByteOffset: 0, as: UInt32.self)
    }
}
