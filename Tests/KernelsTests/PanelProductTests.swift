import Foundation
import Testing
@testable import Kernels

/// The prefill kernel (blocks of 96 rows, chunks of 512 columns, panels of 16 rows, groups of 6 or 12 tokens)
/// against f64 sums over the exactly decoded weights, for every stored type.
@Suite(.enabled(if: PanelProduct.isAvailable(type: .f16, columns: 8), "no panel kernel body on this CPU"))
struct PanelProductTests {
    /// `y[t][r]` through the kernel for rows `0..<rows` of `stored` (rows `rowBytes` apart, starting one byte
    /// into the buffer: safetensors tensors may start at odd offsets), written into columns 1...rows of an
    /// output two columns wider, whose first and last columns must stay NaN.
    static func product(type: TensorType, stored: [UInt8], rowBytes: Int, rows: Int, columns: Int, x: [Float], tokens: Int,
                        tiles: PanelProduct.Tiles) -> [Float] {
        var bytes = [UInt8](repeating: 0, count: 1 + stored.count)
        bytes.replaceSubrange(1..., with: stored)
        let ldy = rows + 2
        var y = [Float](repeating: .nan, count: tokens * ldy)
        var scratch = [Float](repeating: .nan, count: PanelProduct.scratchCount)
        let done = bytes.withUnsafeBytes { raw in
            y.withUnsafeMutableBufferPointer { out in
                PanelProduct.multiply(type: type, x, tokens: tokens, weights: raw.baseAddress! + 1, rowBytes: rowBytes,
                                      rows: 0..<rows, columns: columns, into: out.baseAddress! + 1, ldy: ldy, scratch: &scratch, tiles: tiles)
            }
        }
        #expect(done)
        return y
    }

    /// Checks every output against Σ x·w in f64 (w the decoded weights), within f32 summation error.
    static func expectExact(_ y: [Float], weights w: [Float], x: [Float], rows: Int, columns: Int, tokens: Int, _ label: String) {
        let ldy = rows + 2
        for t in 0..<tokens {
            #expect(y[t * ldy].isNaN && y[t * ldy + rows + 1].isNaN, "\(label) token \(t): wrote outside its rows")
            for r in 0..<rows {
                var exact = 0.0, magnitude = 0.0
                for k in 0..<columns {
                    let product = Double(x[t * columns + k]) * Double(w[r * columns + k])
                    exact += product
                    magnitude += abs(product)
                }
                let got = Double(y[t * ldy + 1 + r])
                #expect(abs(got - exact) <= 4 * Double(columns).squareRoot() * Double(Float.ulpOfOne) * magnitude,
                        "\(label) token \(t) row \(r): \(got) vs \(exact)")
            }
        }
    }

    /// The tile bodies this CPU can run: AVX-512's and AVX2's where it has both.
    static var tileChoices: [PanelProduct.Tiles] { PanelProduct.usesAVX512 ? [.best, .avx2] : [.best] }

    static func randomValues(_ count: Int) -> [Float] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
    }

    /// f16, bf16 and f32 rows: row and token counts that leave partial panels and groups, columns across
    /// chunk boundaries.
    @Test(arguments: [(rows: 1, tokens: 2, columns: 8), (rows: 7, tokens: 5, columns: 1032), (rows: 100, tokens: 13, columns: 1544),
                      (rows: 4, tokens: 4, columns: 4544), (rows: 33, tokens: 25, columns: 520)])
    func floatRowsAgreeWithTheExactSums(rows: Int, tokens: Int, columns: Int) {
        let x = Self.randomValues(tokens * columns)
        let values = Self.randomValues(rows * columns)
        for (type, name) in [(TensorType.f32, "f32"), (.f16, "f16"), (.bf16, "bf16")] {
            let patterns: [UInt16] = type == .bf16 ? values.map(HalfPrecision.bfloat16(from:)) : values.map(HalfPrecision.half(from:))
            let decoded = type == .f32 ? values
                : type == .bf16 ? patterns.map(HalfPrecision.float(fromBFloat16:)) : patterns.map(HalfPrecision.float(fromHalf:))
            let stored: [UInt8] = type == .f32 ? values.withUnsafeBytes { Array($0) } : patterns.withUnsafeBytes { Array($0) }
            for tiles in Self.tileChoices {
                let y = Self.product(type: type, stored: stored, rowBytes: stored.count / rows, rows: rows, columns: columns, x: x,
                                     tokens: tokens, tiles: tiles)
                Self.expectExact(y, weights: decoded, x: x, rows: rows, columns: columns, tokens: tokens, "\(name) \(tiles)")
            }
        }
    }

    /// Every quantized type: 35 rows (two full panels and a partial one) × 1536 columns (three chunks), 7
    /// tokens; the weights the sums are checked against are the scalar reference dequantization.
    @Test(arguments: [TensorType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K])
    func quantizedRowsAgreeWithTheExactSums(_ format: TensorType) {
        let rows = 35, columns = 1536, tokens = 7
        let x = Self.randomValues(tokens * columns)
        let stored = (0..<rows).flatMap { QuantKernelTests.quantized(format, QuantKernelTests.randomRow(columns, seed: 300 + UInt64($0))) }
        let rowBytes = format.rowBytes(count: columns)
        var decoded = [Float](repeating: .nan, count: rows * columns)
        stored.withUnsafeBytes { b in
            for r in 0..<rows {
                decoded.withUnsafeMutableBufferPointer {
                    ScalarDequantizer.dequantize(format, b.baseAddress! + r * rowBytes, count: columns, into: $0.baseAddress! + r * columns)
                }
            }
        }
        for tiles in Self.tileChoices {
            let y = Self.product(type: format, stored: stored, rowBytes: rowBytes, rows: rows, columns: columns, x: x,
                                 tokens: tokens, tiles: tiles)
            Self.expectExact(y, weights: decoded, x: x, rows: rows, columns: columns, tokens: tokens, "\(format) \(tiles)")
        }
    }
}
