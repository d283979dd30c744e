import Testing
@testable import Kernels

/// GPTQ 8-bit symmetric layers become Q8_0 blocks of `q − 128`, so their int8 values span the whole −128…127,
/// where our own quantizer never writes −128 (it rounds to ±127). Kernels that take |w| through a sign trick
/// (maddubs/dpbusd) must still get −128 right: every decode body against the scalar reference, and the
/// prefill kernels against the f32 product, on rows full of −128 and 127.
struct GPTQRangeKernelTests {
    static let columns = 256, rows = 9

    /// Q8_0 rows whose values cycle through −128, 127 and a few others, with varied fp16 scales.
    static func extremeRows() -> [UInt8] {
        var bytes: [UInt8] = []
        for r in 0..<rows {
            for block in 0..<(columns / 32) {
                let scale = HalfPrecision.half(from: Float(1 + (r + block) % 5) * 0.0009765625)
                bytes += [UInt8(scale & 0xFF), UInt8(scale >> 8)]
                for k in 0..<32 {
                    let values: [Int8] = [-128, 127, -128, -1, 0, 1, -128, 64]
                    bytes.append(UInt8(bitPattern: values[(k + r + block) % values.count]))
                }
            }
        }
        return bytes
    }

    @Test func decodeBodiesHandleMinus128() {
        let weights = Self.extremeRows()
        let x = QuantKernelTests.randomRow(Self.columns, seed: 17)
        var act = [UInt8](repeating: 0, count: QuantizedKernels.activationBytes(for: .q8_0, columns: Self.columns))
        x.withUnsafeBufferPointer { xs in act.withUnsafeMutableBytes { QuantizedKernels.quantizeActivations(for: .q8_0, xs.baseAddress!, columns: Self.columns, into: $0.baseAddress!) } }
        let rowBytes = TensorType.q8_0.rowBytes(count: Self.columns)
        weights.withUnsafeBytes { w in
            act.withUnsafeBytes { a in
                for bodies in QuantizedKernels.Bodies.allCases {
                    var y = [Float](repeating: .nan, count: Self.rows)
                    QuantizedKernels.dotRows(.q8_0, weights: w.baseAddress!, rowBytes: rowBytes, rows: 0..<Self.rows, columns: Self.columns,
                                             activations: a.baseAddress!, into: &y, bodies: bodies)
                    for r in 0..<Self.rows {
                        let row = w.baseAddress! + r * rowBytes
                        let reference = ScalarDot.dot(.q8_0, weights: row, activations: a.baseAddress!, count: Self.columns)
                        let bound = 2 * Float(Self.columns / 32 + 8) * Float.ulpOfOne * QuantKernelTests.termMagnitude(.q8_0, row, a.baseAddress!, count: Self.columns)
                        #expect(abs(y[r] - reference) <= bound, "\(bodies) row \(r): \(y[r]) vs \(reference)")
                    }
                }
            }
        }
    }

    @Test func prefillKernelsHandleMinus128() {
        let weights = Self.extremeRows()
        let tokens = 7
        let x = (0..<tokens).flatMap { QuantKernelTests.randomRow(Self.columns, seed: 40 + UInt64($0)) }
        let rowBytes = TensorType.q8_0.rowBytes(count: Self.columns)
        var dequantized = [Float](repeating: 0, count: Self.rows * Self.columns)
        weights.withUnsafeBytes { w in
            for r in 0..<Self.rows {
                dequantized.withUnsafeMutableBufferPointer {
                    QuantizedKernels.dequantize(.q8_0, w.baseAddress! + r * rowBytes, count: Self.columns, into: $0.baseAddress! + r * Self.columns)
                }
            }
        }
        #expect(dequantized.contains(-128 * HalfPrecision.float(fromHalf: HalfPrecision.half(from: 0.0009765625))))
        guard PanelProduct.isAvailable(type: TensorType.q8_0, columns: Self.columns) else { return }
        var y = [Float](repeating: .nan, count: tokens * Self.rows)
        var scratch = [Float](repeating: 0, count: PanelProduct.scratchCount)
        let done = weights.withUnsafeBytes { w in
            x.withUnsafeBufferPointer { xs in
                PanelProduct.multiply(type: TensorType.q8_0, xs.baseAddress!, tokens: tokens, weights: w.baseAddress!, rowBytes: rowBytes,
                                      rows: 0..<Self.rows, columns: Self.columns, into: &y, ldy: Self.rows, scratch: &scratch)
            }
        }
        #expect(done)
        for t in 0..<tokens {
            for r in 0..<Self.rows {
                var reference: Float = 0, magnitude: Float = 0
                for k in 0..<Self.columns {
                    reference += x[t * Self.columns + k] * dequantized[r * Self.columns + k]
                    magnitude += abs(x[t * Self.columns + k] * dequantized[r * Self.columns + k])
                }
                #expect(abs(y[t * Self.rows + r] - reference) <= 4 * Float(Self.columns) * Float.ulpOfOne * magnitude, "panels token \(t) row \(r)")
            }
        }
    }

    /// The AVX-512 VNNI prefill tiles (not on every CPU; skipped where absent) against decode's scalar reference.
    @Test(.enabled(if: Int8Product.isAvailable(type: TensorType.q8_0, columns: 32), "no AVX-512 VNNI on this CPU"))
    func int8TilesHandleMinus128() {
        let weights = Self.extremeRows(), tokens = 9
        let x = (0..<tokens).flatMap { QuantKernelTests.randomRow(Self.columns, seed: 60 + UInt64($0)) }
        let rowBytes = TensorType.q8_0.rowBytes(count: Self.columns)
        var packed = [UInt8](repeating: 0, count: Int8Product.activationBytes(tokens: tokens, columns: Self.columns))
        var scratch = [UInt8](repeating: 0, count: Int8Product.scratchBytes)
        var y = [Float](repeating: .nan, count: tokens * Self.rows)
        let groups = (tokens + Int8Product.tokensPerGroup - 1) / Int8Product.tokensPerGroup
        x.withUnsafeBufferPointer { xs in
            packed.withUnsafeMutableBytes { Int8Product.packActivations(xs.baseAddress!, tokens: tokens, columns: Self.columns, groups: 0..<groups, into: $0.baseAddress!) }
        }
        let done = weights.withUnsafeBytes { w in
            packed.withUnsafeBytes { p in
                scratch.withUnsafeMutableBytes { s in
                    Int8Product.multiply(type: TensorType.q8_0, packed: p.baseAddress!, tokens: tokens, weights: w.baseAddress!,
                                         rowBytes: rowBytes, rows: 0..<Self.rows, columns: Self.columns, into: &y, ldy: Self.rows, scratch: s.baseAddress!)
                }
            }
        }
        #expect(done)
        var act = [UInt8](repeating: 0, count: QuantizedKernels.activationBytes(for: .q8_0, columns: Self.columns))
        for t in 0..<tokens {
            x.withUnsafeBufferPointer { xs in
                act.withUnsafeMutableBytes { QuantizedKernels.quantizeActivations(for: .q8_0, xs.baseAddress! + t * Self.columns, columns: Self.columns, into: $0.baseAddress!) }
            }
            weights.withUnsafeBytes { w in
                act.withUnsafeBytes { a in
                    for r in 0..<Self.rows {
                        let row = w.baseAddress! + r * rowBytes
                        let reference = ScalarDot.dot(.q8_0, weights: row, activations: a.baseAddress!, count: Self.columns)
                        let bound = 2 * Float(Self.columns / 32 + 8) * Float.ulpOfOne * QuantKernelTests.termMagnitude(.q8_0, row, a.baseAddress!, count: Self.columns)
                        #expect(abs(y[t * Self.rows + r] - reference) <= bound, "int8 tiles token \(t) row \(r)")
                    }
                }
            }
        }
    }
}
