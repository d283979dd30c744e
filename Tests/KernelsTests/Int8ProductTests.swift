import Testing
@testable import Kernels

/// The int8 prefill kernel against decode's exact reference: for every token, the scalar dot product of the
/// weight row with that token's Q8_0 activations. Integer block sums are exact in both; only the order of
/// the float additions differs, so the bound is the one the decode kernels are held to.
@Suite(.enabled(if: Int8Product.isAvailable(type: .q8_0, columns: 32), "no AVX-512 VNNI on this CPU"))
struct Int8ProductTests {
    /// 37 rows (two 16-row groups and a partial one, inside a partial 64-row block), 13 tokens (a full group of
    /// 8 and a partial one), 2080 columns (65 blocks: a full 64-block chunk and one more); outputs written into
    /// columns 1...rows of rows two wider, whose first and last columns must stay NaN.
    @Test(arguments: [TensorType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func everyTokenMatchesDecodesReference(_ format: TensorType) {
        let rows = 37, columns = 2080, tokens = 13, ldy = rows + 2
        let weights = (0..<rows).flatMap { QuantKernelTests.quantized(format, QuantKernelTests.randomRow(columns, seed: 700 + UInt64($0))) }
        let x = (0..<tokens).flatMap { QuantKernelTests.randomRow(columns, seed: 900 + UInt64($0)) }
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
