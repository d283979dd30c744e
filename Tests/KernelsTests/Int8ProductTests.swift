import Testing
@testable import Kernels

/// The int8 prefill kernel against decode's exact reference: for every token, the scalar dot product of the
/// weight row with that token's Q8_0 activations. Integer block sums are exact in both; only the order of
/// the float additions differs, so the bound is the one the decode kernels are held to.
/// The formats this CPU runs on int8 tiles: all five legacy ones with VNNI, the 4- and 5-bit ones with AVX2.
private let int8Formats = [TensorType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0].filter { Int8Product.isAvailable(type: $0, columns: 32) }

@Suite(.enabled(if: !int8Formats.isEmpty, "no int8 tiles on this CPU (AVX-512 VNNI, or AVX2 for the 4- and 5-bit formats)"))
struct Int8ProductTests {

    /// 43 rows (two 16-row tiles and a partial one of 11, which fills one 8-row group and part of the next, inside
    /// a partial 64-row block), 13 tokens (a full group of 8 and a partial one), 2080 columns (65 blocks: a full 64-block chunk and one more); outputs written into
    /// columns 1...rows of rows two wider, whose first and last columns must stay NaN.
    @Test(arguments: int8Formats)
    func everyTokenMatchesDecodesReference(_ format: TensorType) {
        let rows = 43, columns = 2080, tokens = 13
        let weights = (0..<rows).flatMap { QuantKernelTests.quantized(format, QuantKernelTests.randomRow(columns, seed: 700 + UInt64($0))) }
        let x = (0..<tokens).flatMap { QuantKernelTests.randomRow(columns, seed: 900 + UInt64($0)) }
        Self.expectDecodesReference(format, weights: weights, rows: rows, x: x, tokens: tokens, columns: columns)
    }

    /// Every stored quant at its largest (15, or 31 with the fifth bit) against activations at ±127: the AVX2
    /// tiles add a whole block's pair sums in 16 bits (8 · 2 · 15 · 127 = 30480, 4 · 2 · 31 · 127 for the 5-bit
    /// formats), the most any block can reach; one more word per sum would wrap. Also every quant at 0 (the
    /// offset formats' most negative weight) and a mixed row.
    @Test(arguments: int8Formats.filter { $0 != .q8_0 })
    func largestStoredQuantsDoNotWrap(_ format: TensorType) {
        let rows = 3, columns = 96, tokens = 5
        let blockBytes = format.rowBytes(count: 32)
        var weights: [UInt8] = []
        for r in 0..<rows {
            for block in 0..<(columns / 32) {
                var bytes: [UInt8] = [0x00, 0x3C]  // d = 1.0 as a half
                if format == .q4_1 || format == .q5_1 { bytes += [0x00, 0xBC] }  // m = -1.0
                let quant: UInt8 = r == 0 ? 0xFF : r == 1 ? 0x00 : (block % 2 == 0 ? 0xF0 : 0x0F)
                if format == .q5_0 || format == .q5_1 { bytes += [UInt8](repeating: quant == 0 ? 0x00 : 0xFF, count: 4) }
                bytes += [UInt8](repeating: quant, count: 16)
                precondition(bytes.count == blockBytes)
                weights += bytes
            }
        }
        // Constant tokens quantize to ±127 in every position.
        let x: [Float] = [1, -1, 0.5, -3, 1].enumerated().flatMap { t, v in
            (0..<columns).map { k in t == 4 ? (k % 3 == 0 ? -v : v) : v }
        }
        Self.expectDecodesReference(format, weights: weights, rows: rows, x: x, tokens: tokens, columns: columns)
    }

    /// Runs the tiles over `weights` (`rows` rows of `columns` values) and `tokens` rows of `x`, and checks every
    /// output against the scalar dot product of the weight row with that token's decode activations.
    static func expectDecodesReference(_ format: TensorType, weights: [UInt8], rows: Int, x: [Float], tokens: Int, columns: Int) {
        let ldy = rows + 2
        let rowBytes = format.rowBytes(count: columns)
        var packed = [UInt8](repeating: 0xAA, count: Int8Product.activationBytes(tokens: tokens, columns: columns))
        var scratch = [UInt8](repeating: 0xAA, count: Int8Product.scratchBytes)
        var y = [Float](repeating: .nan, count: tokens * ldy)
        let groups = (tokens + Int8Product.tokensPerGroup - 1) / Int8Product.tokensPerGroup
        x.withUnsafeBufferPointer { xs in
            packed.withUnsafeMutableBytes { p in
                // Two calls, as two workers would share the packing.
                Int8Product.packActivations(xs.baseAddress!, tokens: tokens, columns: columns, groups: 0..<1, into: p.baseAddress!)
                Int8Product.packActivations(xs.baseAddress!, tokens: tokens, columns: columns, groups: 1..<groups, into: p.baseAddress!)
            }
        }
        let done = weights.withUnsafeBytes { w in
            packed.withUnsafeBytes { p in
                y.withUnsafeMutableBufferPointer { out in
                    scratch.withUnsafeMutableBytes { s in
                        Int8Product.multiply(type: format, packed: p.baseAddress!, tokens: tokens, weights: w.baseAddress!,
                                             rowBytes: rowBytes, rows: 0..<rows, columns: columns, into: out.baseAddress! + 1, ldy: ldy,
                                             scratch: s.baseAddress!)
                    }
                }
            }
        }
        #expect(done)
        var act = [UInt8](repeating: 0, count: QuantizedKernels.activationBytes(for: format, columns: columns))
        for t in 0..<tokens {
            #expect(y[t * ldy].isNaN && y[t * ldy + rows + 1].isNaN, "token \(t): wrote outside its rows")
            x.withUnsafeBufferPointer { xs in
                act.withUnsafeMutableBytes { QuantizedKernels.quantizeActivations(for: format, xs.baseAddress! + t * columns, columns: columns, into: $0.baseAddress!) }
            }
            weights.withUnsafeBytes { w in
                act.withUnsafeBytes { a in
                    for r in 0..<rows {
                        let row = w.baseAddress! + r * rowBytes
                        let reference = ScalarDot.dot(format, weights: row, activations: a.baseAddress!, count: columns)
                        let bound = 2 * Float(columns / format.blockSize + 8) * Float.ulpOfOne
                            * QuantKernelTests.termMagnitude(format, row, a.baseAddress!, count: columns)
                        #expect(abs(y[t * ldy + 1 + r] - reference) <= bound, "\(format) token \(t) row \(r): \(y[t * ldy + 1 + r]) vs \(reference)")
                    }
                }
            }
        }
    }
}
