/// The K-quant quantizers llama-quantize runs without an importance matrix (`quantize_row_q{2..6}_K_ref`):
/// per 16- or 32-weight group a scale (and min) search, then 6- or 4-bit quantization of those scales against a
/// block scale, then a final rounding of every weight against its quantized scale. Every float expression is
/// evaluated in llama.cpp's order (no fused multiply-add), because a single different rounding flips a choice.
enum KQuantizer {
    private static let groupMaxEps: Float = 1e-15

    // MARK: scale searches

    /// `make_qx_quants` with rmse_type 1 and no importance weights (w = x²): symmetric, levels −nmax…nmax−1,
    /// trying 19 scales around nmax/max. Writes L = level + nmax, returns the scale.
    static func symmetricSearch(_ x: ArraySlice<Float>, nmax: Int, _ L: inout [Int], at base: Int) -> Float {
        let n = x.count, x0 = x.startIndex
        var max: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[x0 + i]) > amax { amax = abs(x[x0 + i]); max = x[x0 + i] }
        if amax < groupMaxEps {
            for i in 0..<n { L[base + i] = 0 }
            return 0
        }
        let fmax = Float(nmax)
        var iscale = Float(-nmax) / max
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let xi = x[x0 + i]
            let l = Swift.max(-nmax, Swift.min(nmax - 1, QuantRounding.nearestInt(iscale * xi)))
            L[base + i] = l + nmax
            let w = xi * xi, fl = Float(l)
            sumlx += w * xi * fl
            suml2 += w * fl * fl
        }
        var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
        var best = scale * sumlx
        for step in -9...9 where step != 0 {
            iscale = -(fmax + 0.1 * Float(step)) / max
            sumlx = 0; suml2 = 0
            for i in 0..<n {
                let xi = x[x0 + i]
                let l = Swift.max(-nmax, Swift.min(nmax - 1, QuantRounding.nearestInt(iscale * xi)))
                let w = xi * xi, fl = Float(l)
                sumlx += w * xi * fl
                suml2 += w * fl * fl
            }
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                for i in 0..<n {
                    let l = QuantRounding.nearestInt(iscale * x[x0 + i])
                    L[base + i] = nmax + Swift.max(-nmax, Swift.min(nmax - 1, l))
                }
                scale = sumlx / suml2
                best = scale * sumlx
            }
        }
        return scale
    }

    /// `make_q3_quants` with rmse: start from nmax/max, then up to 5 passes moving single weights to the level
    /// that improves the weighted fit. Writes L = level + nmax.
    static func q3Search(_ x: ArraySlice<Float>, nmax: Int, _ L: inout [Int], at base: Int) -> Float {
        let n = x.count, x0 = x.startIndex
        var max: Float = 0, amax: Float = 0
        for i in 0..<n where abs(x[x0 + i]) > amax { amax = abs(x[x0 + i]); max = x[x0 + i] }
        if amax < groupMaxEps {
            for i in 0..<n { L[base + i] = 0 }
            return 0
        }
        let iscale = Float(-nmax) / max
        var sumlx: Float = 0, suml2: Float = 0
        var levels = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let xi = x[x0 + i]
            let l = Swift.max(-nmax, Swift.min(nmax - 1, QuantRounding.nearestInt(iscale * xi)))
            levels[i] = l
            let w = xi * xi, fl = Float(l)
            sumlx += w * xi * fl
            suml2 += w * fl * fl
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let xi = x[x0 + i]
                let w = xi * xi, li = Float(levels[i])
                var slx = sumlx - w * xi * li
                if slx > 0 {
                    var sl2 = suml2 - w * li * li
                    var newL = QuantRounding.nearestInt(xi * sl2 / slx)
                    newL = Swift.max(-nmax, Swift.min(nmax - 1, newL))
                    if newL != levels[i] {
                        let fn = Float(newL)
                        slx += w * xi * fn
                        sl2 += w * fn * fn
                        if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                            levels[i] = newL; sumlx = slx; suml2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { L[base + i] = levels[i] + nmax }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    /// `make_qkx2_quants`: affine fit x ≈ scale·l + min (min ≤ 0, levels 0…nmax), trying nstep+1 scales and
    /// solving the weighted least squares for each; keeps the best by weighted squared (or absolute) error.
    /// Writes L, returns (scale, −min).
    static func affineSearch(_ x: ArraySlice<Float>, weights: [Float], nmax: Int, _ L: inout [Int], at base: Int,
                             rmin: Float, rdelta: Float, nstep: Int, useMAD: Bool) -> (scale: Float, min: Float) {
        let n = x.count, x0 = x.startIndex
        var lo = x[x0], hi = x[x0]
        var sumW = weights[0]
        var sumX = sumW * x[x0]
        for i in 1..<n {
            let xi = x[x0 + i]
            if xi < lo { lo = xi }
            if xi > hi { hi = xi }
            let w = weights[i]
            sumW += w
            sumX += w * xi
        }
        if lo > 0 { lo = 0 }
        if hi == lo {
            for i in 0..<n { L[base + i] = 0 }
            return (0, -lo)
        }
        var iscale = Float(nmax) / (hi - lo)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let xi = x[x0 + i]
            let l = Swift.max(0, Swift.min(nmax, QuantRounding.nearestInt(iscale * (xi - lo))))
            L[base + i] = l
            var diff = scale * Float(l) + lo - xi
            diff = useMAD ? abs(diff) : diff * diff
            bestError += weights[i] * diff
        }
        // `lo` is also the running best min: llama.cpp updates it on every improvement, and later candidates
        // are computed against the updated value (both the levels and the max − min range).
        var aux = [Int](repeating: 0, count: n)
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (hi - lo)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let xi = x[x0 + i]
                let l = Swift.max(0, Swift.min(nmax, QuantRounding.nearestInt(iscale * (xi - lo))))
                aux[i] = l
                let w = weights[i], fl = Float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * xi
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var error: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(aux[i]) + thisMin - x[x0 + i]
                    diff = useMAD ? abs(diff) : diff * diff
                    error += weights[i] * diff
                }
                if error < bestError {
                    for i in 0..<n { L[base + i] = aux[i] }
                    bestError = error
                    scale = thisScale
                    lo = thisMin
                }
            }
        }
        return (scale, -lo)
    }

    // MARK: block quantizers (256 weights → one block)

    static func q2K(_ x: ArraySlice<Float>, _ out: UnsafeMutableRawPointer) {
        let x0 = x.startIndex
        var L = [Int](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 16), mins = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<16 {
            let group = x[(x0 + 16 * j)..<(x0 + 16 * j + 16)]
            let weights = group.map { abs($0) }
            let r = affineSearch(group, weights: weights, nmax: 3, &L, at: 16 * j, rmin: -0.5, rdelta: 0.1, nstep: 15, useMAD: true)
            scales[j] = r.scale; mins[j] = r.min
            if r.scale > maxScale { maxScale = r.scale }
            if r.min > maxMin { maxMin = r.min }
        }
        var packed = [Int](repeating: 0, count: 16)
        var d: UInt16 = 0, dmin: UInt16 = 0
        if maxScale > 0 {
            let iscale = 15 / maxScale
            for j in 0..<16 { packed[j] = QuantRounding.nearestInt(iscale * scales[j]) }
            d = QuantRounding.half(maxScale / 15)
        }
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { packed[j] |= QuantRounding.nearestInt(iscale * mins[j]) << 4 }
            dmin = QuantRounding.half(maxMin / 15)
        }
        for j in 0..<16 {
            let dl = QuantRounding.float(d) * Float(packed[j] & 0xF)
            if dl == 0 { continue }
            let ml = QuantRounding.float(dmin) * Float((packed[j] & 0xFF) >> 4)
            for i in 0..<16 {
                L[16 * j + i] = Swift.max(0, Swift.min(3, QuantRounding.nearestInt((x[x0 + 16 * j + i] + ml) / dl)))
            }
        }
        for j in 0..<16 { out.storeByte(packed[j], at: j) }
        for half in 0..<2 {
            for l in 0..<32 {
                let b = 128 * half + l
                out.storeByte(L[b] | L[b + 32] << 2 | L[b + 64] << 4 | L[b + 96] << 6, at: 16 + 32 * half + l)
            }
        }
        out.storeLE(d, at: 80)
        out.storeLE(dmin, at: 82)
    }

    static func q3K(_ x: ArraySlice<Float>, _ out: UnsafeMutableRawPointer) {
        let x0 = x.startIndex
        var L = [Int](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, amax: Float = 0
        for j in 0..<16 {
            scales[j] = q3Search(x[(x0 + 16 * j)..<(x0 + 16 * j + 16)], nmax: 4, &L, at: 16 * j)
            if abs(scales[j]) > amax { amax = abs(scales[j]); maxScale = scales[j] }
        }
        var packed = [Int](repeating: 0, count: 12)
        var d: UInt16 = 0
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for j in 0..<16 {
                var l = Int(Int8(truncatingIfNeeded: QuantRounding.nearestInt(iscale * scales[j])))
                l = Swift.max(-32, Swift.min(31, l)) + 32
                if j < 8 { packed[j] = l & 0xF } else { packed[j - 8] |= (l & 0xF) << 4 }
                packed[j % 4 + 8] |= (l >> 4) << (2 * (j / 4))
            }
            d = QuantRounding.half(1 / iscale)
        }
        for j in 0..<16 {
            let low = j < 8 ? packed[j] & 0xF : (packed[j - 8] & 0xFF) >> 4
            let sc = (low | ((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32
            let dl = QuantRounding.float(d) * Float(sc)
            if dl == 0 { continue }
            for i in 0..<16 {
                L[16 * j + i] = Swift.max(-4, Swift.min(3, QuantRounding.nearestInt(x[x0 + 16 * j + i] / dl))) + 4
            }
        }
        var hmask = [Int](repeating: 0, count: 32)
        for j in 0..<256 where L[j] > 3 {
            hmask[j % 32] |= 1 << (j / 32)
            L[j] -= 4
        }
        for l in 0..<32 { out.storeByte(hmask[l], at: l) }
        for half in 0..<2 {
            for l in 0..<32 {
                let b = 128 * half + l
                out.storeByte(L[b] | L[b + 32] << 2 | L[b + 64] << 4 | L[b + 96] << 6, at: 32 + 32 * half + l)
            }
        }
        for k in 0..<12 { out.storeByte(packed[k], at: 96 + k) }
        out.storeLE(d, at: 108)
    }

    /// Q4_K (bits 4) and Q5_K (bits 5): 8 groups of 32 with 6-bit scales and mins.
    static func q45K(_ x: ArraySlice<Float>, _ out: UnsafeMutableRawPointer, bits: Int) {
        let x0 = x.startIndex
        let nmax = (1 << bits) - 1
        var L = [Int](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            let group = x[(x0 + 32 * j)..<(x0 + 32 * j + 32)]
            var sumX2: Float = 0
            for v in group { sumX2 += v * v }
            let avX = (sumX2 / 32).squareRoot()
            let weights = group.map { avX + abs($0) }
            let r = bits == 4
                ? affineSearch(group, weights: weights, nmax: nmax, &L, at: 32 * j, rmin: -1, rdelta: 0.1, nstep: 20, useMAD: false)
                : affineSearch(group, weights: weights, nmax: nmax, &L, at: 32 * j, rmin: -0.5, rdelta: 0.1, nstep: 15, useMAD: false)
            scales[j] = r.scale; mins[j] = r.min
            if r.scale > maxScale { maxScale = r.scale }
            if r.min > maxMin { maxMin = r.min }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        var packed = [Int](repeating: 0, count: 12)
        for j in 0..<8 {
            let ls = Swift.min(63, QuantRounding.nearestInt(invScale * scales[j]) & 0xFF)
            let lm = Swift.min(63, QuantRounding.nearestInt(invMin * mins[j]) & 0xFF)
            if j < 4 {
                packed[j] = ls
                packed[j + 4] = lm
            } else {
                packed[j + 4] = (ls & 0xF) | (lm & 0xF) << 4
                packed[j - 4] |= (ls >> 4) << 6
                packed[j] |= (lm >> 4) << 6
            }
        }
        let d = QuantRounding.half(maxScale / 63), dmin = QuantRounding.half(maxMin / 63)
        for k in 0..<12 { out.storeByte(packed[k], at: 4 + k) }
        let scaleBytes = BlockBytes(UnsafeRawPointer(out))
        for j in 0..<8 {
            let (sc, m) = SuperBlock.scaleMinK4(j, scaleBytes, offset: 4)
            let dl = QuantRounding.float(d) * Float(sc)
            if dl == 0 { continue }
            let ml = QuantRounding.float(dmin) * Float(m)
            for i in 0..<32 {
                L[32 * j + i] = Swift.max(0, Swift.min(nmax, QuantRounding.nearestInt((x[x0 + 32 * j + i] + ml) / dl)))
            }
        }
        out.storeLE(d, at: 0)
        out.storeLE(dmin, at: 2)
        let qs = bits == 4 ? 16 : 48
        var qh = [Int](repeating: 0, count: 32)
        for c in 0..<4 {
            for l in 0..<32 {
                var lo = L[64 * c + l], hi = L[64 * c + 32 + l]
                if lo > 15 { lo -= 16; qh[l] |= 1 << (2 * c) }
                if hi > 15 { hi -= 16; qh[l] |= 2 << (2 * c) }
                out.storeByte(lo | hi << 4, at: qs + 32 * c + l)
            }
        }
        if bits == 5 { for l in 0..<32 { out.storeByte(qh[l], at: 16 + l) } }
    }

    static func q6K(_ x: ArraySlice<Float>, _ out: UnsafeMutableRawPointer) {
        let x0 = x.startIndex
        var L = [Int](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, maxAbsScale: Float = 0
        for g in 0..<16 {
            let s = symmetricSearch(x[(x0 + 16 * g)..<(x0 + 16 * g + 16)], nmax: 32, &L, at: 16 * g)
            scales[g] = s
            if abs(s) > maxAbsScale { maxAbsScale = abs(s); maxScale = s }
        }
        if maxAbsScale < groupMaxEps {
            out.initializeMemory(as: UInt8.self, repeating: 0, count: 210)
            return
        }
        let iscale = -128 / maxScale
        let d = QuantRounding.half(1 / iscale)
        var sc = [Int](repeating: 0, count: 16)
        for g in 0..<16 { sc[g] = Int(Int8(truncatingIfNeeded: Swift.min(127, QuantRounding.nearestInt(iscale * scales[g])))) }
        for g in 0..<16 {
            let dl = QuantRounding.float(d) * Float(sc[g])
            if dl == 0 { continue }
            for i in 0..<16 {
                L[16 * g + i] = Swift.max(-32, Swift.min(31, QuantRounding.nearestInt(x[x0 + 16 * g + i] / dl))) + 32
            }
        }
        for half in 0..<2 {
            for l in 0..<32 {
                let b = 128 * half + l
                out.storeByte((L[b] & 0xF) | (L[b + 64] & 0xF) << 4, at: 64 * half + l)
                out.storeByte((L[b + 32] & 0xF) | (L[b + 96] & 0xF) << 4, at: 64 * half + 32 + l)
                out.storeByte(L[b] >> 4 | (L[b + 32] >> 4) << 2 | (L[b + 64] >> 4) << 4 | (L[b + 96] >> 4) << 6,
                              at: 128 + 32 * half + l)
            }
        }
        for g in 0..<16 { out.storeByte(sc[g], at: 192 + g) }
        out.storeLE(d, at: 208)
    }
}
