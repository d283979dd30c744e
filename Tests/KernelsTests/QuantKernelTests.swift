import Foundation
import Testing
import CKernels
@testable import Kernels

/// Fast (C generic and AVX2) kernels against the plain scalar Swift references, on random rows.
struct QuantKernelTests {
    /// Deterministic pseudo-random values with a spread of magnitudes, some exact zeros and a few outliers.
    static func randomRow(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Float {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        return (0..<count).map { i in
            let v = next()
            if i % 97 == 5 { return 0 }
            if i % 61 == 3 { return v * 8 }
            return v * v * v * 0.3 + v * 0.02
        }
    }

    static func quantized(_ format: TensorType, _ x: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: format.rowBytes(count: x.count))
        x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBytes { ReferenceQuantizer.quantize(format, xs.baseAddress!, count: x.count, into: $0.baseAddress!) } }
        return out
    }

    static let columns = 1024

    @Test(arguments: TensorType.quantFormats)
    func fastDequantizationIsBitIdenticalToTheScalarReference(_ format: TensorType) {
        for seed in 1...3 as ClosedRange<UInt64> {
            let bytes = Self.quantized(format, Self.randomRow(Self.columns, seed: seed))
            var reference = [Float](repeating: .nan, count: Self.columns), fast = reference, generic = reference
            bytes.withUnsafeBytes { b in
                ScalarDequantizer.dequantize(format, b.baseAddress!, count: Self.columns, into: &reference)
                QuantizedKernels.dequantize(format, b.baseAddress!, count: Self.columns, into: &fast)
                _ = ck_dequantize_row_generic(format.rawValue, b.baseAddress!, &generic, Int64(Self.columns))
            }
            #expect(reference.map(\.bitPattern) == fast.map(\.bitPattern), "\(format) seed \(seed)")
            #expect(reference.map(\.bitPattern) == generic.map(\.bitPattern), "\(format) seed \(seed), generic body")
        }
    }

    /// The C activation quantizer is the reference algorithm: identical bytes.
    @Test(arguments: [TensorType.q8_0, .q8_1, .q8_K])
    func activationQuantizationMatchesTheReferenceQuantizer(_ format: TensorType) {
        let weight: TensorType = format == .q8_0 ? .q4_0 : format == .q8_1 ? .q4_1 : .q4_K
        let x = Self.randomRow(Self.columns, seed: 7) + [Float](repeating: 0, count: 256) // one all-zero K block
        let reference = Self.quantized(format, x)
        var fast = [UInt8](repeating: 0xAA, count: QuantizedKernels.activationBytes(for: weight, columns: x.count))
        x.withUnsafeBufferPointer { xs in fast.withUnsafeMutableBytes { QuantizedKernels.quantizeActivations(for: weight, xs.baseAddress!, columns: x.count, into: $0.baseAddress!) } }
        #expect(Array(fast.prefix(reference.count)) == reference)
        if format != .q8_K { #expect(Array(fast.dropFirst(reference.count)) == Self.regrouped(format, reference)) }
    }

    /// What follows Q8_0/Q8_1 blocks for the VBMI bodies, built from the reference blocks: zeros up to the
    /// next 64-byte boundary, then per four blocks their elements 0–15 (64 bytes), their elements 16–31, per
    /// block four lanes of which the first holds Σq (Q8_0, Int32) or the stored s (Q8_1, as Float), and per
    /// block its scale as a Float four times. Blocks past the end are zeros.
    static func regrouped(_ format: TensorType, _ blocks: [UInt8]) -> [UInt8] {
        let size = format.bytesPerBlock, count = blocks.count / size, quants = format == .q8_1 ? 4 : 2
        var out = [UInt8](repeating: 0, count: (blocks.count + 63) / 64 * 64 - blocks.count)
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { out += $0 } }
        blocks.withUnsafeBytes { raw in
            func block(_ i: Int) -> BlockBytes? { i < count ? BlockBytes(raw.baseAddress! + i * size) : nil }
            for step in 0..<((count + 3) / 4) {
                let group = (0..<4).map { block(4 * step + $0) }
                for half in 0..<2 {
                    for b in group {
                        out += (0..<16).map { UInt8(bitPattern: Int8(b?.i8(quants + 16 * half + $0) ?? 0)) }
                    }
                }
                for b in group {
                    if let b, format == .q8_1 { append(b.half(2)) } else { append(Int32(b.map { b in (0..<32).reduce(0) { $0 + b.i8(2 + $1) } } ?? 0)) }
                    for _ in 0..<3 { append(Int32(0)) }
                }
                for b in group {
                    for _ in 0..<4 { append(b?.half(0) ?? 0) }
                }
            }
        }
        return out
    }

    /// Σ over blocks of |every float term| the dot product adds: the scale of its rounding error.
    static func termMagnitude(_ format: TensorType, _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, count: Int) -> Float {
        let act = format.activationFormat!
        var total: Float = 0
        for b in 0..<(count / format.blockSize) {
            let ab = BlockBytes(a + b * act.bytesPerBlock)
            if format.blockSize == 32 {
                let (q, d, m) = ScalarDot.smallIntegers(format, BlockBytes(w + b * format.bytesPerBlock))
                var s = 0
                for j in 0..<32 { s += abs(q[j] * ab.i8((act == .q8_1 ? 4 : 2) + j)) }
                total += abs(d * ab.half(0)) * Float(s) + (m.map { abs($0 * ab.half(2)) } ?? 0)
            } else {
                let u = SuperBlock(format, BlockBytes(w + b * format.bytesPerBlock))
                var s = 0, m = 0
                for g in 0..<16 {
                    for l in 0..<16 { s += abs(u.scales[g] * u.q[16 * g + l] * ab.i8(4 + 16 * g + l)) }
                    m += abs(u.mins[g] * ab.i16(260 + 2 * g))
                }
                total += abs(u.d * ab.f32(0)) * Float(s) + abs(u.dmin * ab.f32(0)) * Float(m)
            }
        }
        return total
    }

    /// Integer block sums are exact in every body; only the float accumulation differs. The generic C body
    /// does the scalar reference's operations in the same order (bit-identical); the AVX2 body adds per-block
    /// terms with FMA into 8 lanes, so it may differ by a few roundings of each term:
    /// |fast − ref| ≤ 2·(blocks + 8)·ε·Σ|terms|. The AVX-512 VNNI eight-row bodies (where this CPU has them)
    /// do the AVX2 ones' float operations in the same order, so they must equal them bit for bit; the best
    /// bodies (VBMI for the nibble formats and AVX-512 for Q6_K, where the CPU has them) sum per lane and are
    /// held to the same bound as AVX2.
    /// 13 rows: the legacy types' eight-row and one-row bodies both run. For the 32-value formats, rows of
    /// 1024 + 32, 64 and 96 values also leave the VBMI bodies 1, 2 or 3 blocks after their steps of four.
    @Test(arguments: TensorType.weightFormats)
    func dotProductsAgreeWithTheScalarReference(_ format: TensorType) {
        for extra in format.blockSize == 32 ? [0, 32, 64, 96] : [0] {
            checkDotProducts(format, columns: Self.columns + extra)
        }
    }

    func checkDotProducts(_ format: TensorType, columns: Int) {
        let rows = 13
        let weights = (0..<rows).flatMap { Self.quantized(format, Self.randomRow(columns, seed: 100 + UInt64($0))) }
        let x = Self.randomRow(columns, seed: 55)
        var act = [UInt8](repeating: 0, count: QuantizedKernels.activationBytes(for: format, columns: columns))
        x.withUnsafeBufferPointer { xs in act.withUnsafeMutableBytes { QuantizedKernels.quantizeActivations(for: format, xs.baseAddress!, columns: columns, into: $0.baseAddress!) } }
        let rowBytes = format.rowBytes(count: columns)
        weights.withUnsafeBytes { w in
            act.withUnsafeBytes { a in
                var results: [QuantizedKernels.Bodies: [Float]] = [:]
                for bodies in QuantizedKernels.Bodies.allCases {
                    var y = [Float](repeating: .nan, count: rows)
                    QuantizedKernels.dotRows(format, weights: w.baseAddress!, rowBytes: rowBytes, rows: 0..<rows, columns: columns,
                                             activations: a.baseAddress!, into: &y, bodies: bodies)
                    results[bodies] = y
                }
                let generic = results[.generic]!, avx2 = results[.avx2]!, vnni = results[.vnni512]!, best = results[.best]!
                for r in 0..<rows {
                    let row = w.baseAddress! + r * rowBytes
                    let reference = ScalarDot.dot(format, weights: row, activations: a.baseAddress!, count: columns)
                    #expect(generic[r].bitPattern == reference.bitPattern || generic[r] == reference, "\(format) row \(r) generic \(generic[r]) vs \(reference)")
                    let bound = 2 * Float(columns / format.blockSize + 8) * Float.ulpOfOne * Self.termMagnitude(format, row, a.baseAddress!, count: columns)
                    #expect(abs(avx2[r] - reference) <= bound, "\(format) row \(r) AVX2 \(avx2[r]) vs \(reference), bound \(bound)")
                    // The bound must stay below what one wrong block costs: a body that skipped or doubled the
                    // last block (the VBMI bodies' masked tail) lands at least two bounds away. (Q4_1/Q5_1 blocks
                    // net little: their minimum terms cancel most of the scaled sums that Σ|terms| counts.)
                    let lastBlock = reference - ScalarDot.dot(format, weights: row, activations: a.baseAddress!, count: columns - format.blockSize)
                    #expect(bound < abs(lastBlock) / 2, "\(format) \(columns) row \(r): bound \(bound) vs the last block's \(lastBlock)")
                    #expect(abs(best[r] - reference) <= bound, "\(format) \(columns) row \(r) best \(best[r]) vs \(reference), bound \(bound)")
                    #expect(vnni[r].bitPattern == avx2[r].bitPattern, "\(format) \(columns) row \(r): VNNI bodies \(vnni[r]) vs AVX2 \(avx2[r])")
                }
            }
        }
    }

    /// The quantized dot product approximates the f32 one: dequantized weights · x, off by the activation
    /// rounding only (8-bit: ≤ ½ step of each block's scale).
    @Test(arguments: TensorType.weightFormats)
    func dotProductApproximatesTheFloatProductOfDequantizedWeights(_ format: TensorType) {
        let columns = Self.columns
        let bytes = Self.quantized(format, Self.randomRow(columns, seed: 9))
        let x = Self.randomRow(columns, seed: 10)
        var w = [Float](repeating: 0, count: columns)
        bytes.withUnsafeBytes { ScalarDequantizer.dequantize(format, $0.baseAddress!, count: columns, into: &w) }
        var act = [UInt8](repeating: 0, count: QuantizedKernels.activationBytes(for: format, columns: columns))
        x.withUnsafeBufferPointer { xs in act.withUnsafeMutableBytes { QuantizedKernels.quantizeActivations(for: format, xs.baseAddress!, columns: columns, into: $0.baseAddress!) } }
        var y: Float = 0
        bytes.withUnsafeBytes { b in act.withUnsafeBytes { a in QuantizedKernels.dotRows(format, weights: b.baseAddress!, rowBytes: bytes.count, rows: 0..<1, columns: columns, activations: a.baseAddress!, into: &y) } }
        let exact = zip(w, x).reduce(Double(0)) { $0 + Double($1.0) * Double($1.1) }
        let scale = zip(w, x).reduce(Double(0)) { $0 + abs(Double($1.0) * Double($1.1)) }
        // Each activation moves by at most half a step, 1/254 of its block's largest magnitude.
        let block = format.activationFormat!.blockSize
        var bound = 0.0
        for b in 0..<(columns / block) {
            let amax = x[(b * block)..<((b + 1) * block)].map { abs(Double($0)) }.max()!
            bound += amax / 254 * w[(b * block)..<((b + 1) * block)].reduce(0) { $0 + abs(Double($1)) }
        }
        #expect(abs(Double(y) - exact) <= bound * 1.01 + 1e-4 * scale, "\(format): \(y) vs \(exact), bound \(bound)")
    }
}
