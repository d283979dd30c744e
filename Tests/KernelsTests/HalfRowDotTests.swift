import Foundation
import Testing
@testable import Kernels

struct HalfRowDotTests {
    /// One row through the C body the engine decodes with.
    func rowDot(bfloat16: Bool, _ x: [Float], _ patterns: [UInt16]) -> Float {
        var y: Float = .nan
        patterns.withUnsafeBytes { w in
            HalfRowDot.dotRows(bfloat16: bfloat16, x, weights: w.baseAddress!, rowBytes: patterns.count * 2, rows: 0..<1, columns: patterns.count, into: &y)
        }
        return y
    }

    /// Random rows of every awkward length, as the files store them (16-bit patterns), against an f64 sum of
    /// the exactly widened values, through the C bodies and the plain loops.
    @Test(arguments: [1, 7, 15, 16, 17, 33, 64, 255, 4544])
    func rowDotsAgreeWithTheExactSum(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let x = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
        let values = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
        let halves = values.map(HalfPrecision.half(from:))
        let bfloats = values.map(HalfPrecision.bfloat16(from:))
        let exactHalf = zip(x, halves).reduce(Double(0)) { $0 + Double($1.0) * Double(HalfPrecision.float(fromHalf: $1.1)) }
        let exactBFloat = zip(x, bfloats).reduce(Double(0)) { $0 + Double($1.0) * Double(HalfPrecision.float(fromBFloat16: $1.1)) }
        let tolerance = 1e-5 * Double(max(count, 1)).squareRoot() * 4
        #expect(abs(Double(rowDot(bfloat16: false, x, halves)) - exactHalf) <= tolerance)
        #expect(abs(Double(HalfRowDot.halfReference(x, halves, count)) - exactHalf) <= tolerance)
        #expect(abs(Double(rowDot(bfloat16: true, x, bfloats)) - exactBFloat) <= tolerance)
        #expect(abs(Double(HalfRowDot.bfloat16Reference(x, bfloats, count)) - exactBFloat) <= tolerance)
    }

    /// Special patterns widen exactly: subnormal halves, infinities, the largest values, signed zeros.
    @Test func specialPatternsWidenExactly() {
        let halfPatterns: [UInt16] = [0x0001, 0x03FF, 0x0400, 0x7BFF, 0x8000, 0xFBFF, 0x3C00, 0xBC00]
        let bfloatPatterns: [UInt16] = [0x0001, 0x007F, 0x0080, 0x7F7F, 0x8000, 0xFF7F, 0x3F80, 0xBF80]
        for index in 0..<8 {
            var ones = [Float](repeating: 0, count: 16)
            ones[index] = 1
            var halves = [UInt16](repeating: 0, count: 16), bfloats = [UInt16](repeating: 0, count: 16)
            halves[index] = halfPatterns[index]
            bfloats[index] = bfloatPatterns[index]
            #expect(rowDot(bfloat16: false, ones, halves) == Float(Float16(bitPattern: halfPatterns[index])))
            #expect(rowDot(bfloat16: true, ones, bfloats) == Float(bitPattern: UInt32(bfloatPatterns[index]) << 16))
        }
    }

    /// The C row products the engine decodes with (four rows at a time, then the rest; a tail of fewer than
    /// 8 columns), on unaligned rows, against the plain loops; and the bulk widening, bit for bit.
    @Test(arguments: [1, 7, 8, 203, 4544])
    func rowProductsAndWideningAgreeWithThePlainLoops(columns: Int) {
        var generator = SystemRandomNumberGenerator()
        let rows = 7
        let x = (0..<columns).map { _ in Float.random(in: -2...2, using: &generator) }
        let values = (0..<(rows * columns)).map { _ in Float.random(in: -2...2, using: &generator) }
        for bfloat16 in [false, true] {
            let patterns = values.map { bfloat16 ? HalfPrecision.bfloat16(from: $0) : HalfPrecision.half(from: $0) }
            // One byte of padding first: a safetensors tensor may start at an odd offset.
            var bytes = [UInt8](repeating: 0, count: 1 + patterns.count * 2)
            bytes.withUnsafeMutableBytes { raw in
                for (i, p) in patterns.enumerated() { raw.storeBytes(of: p, toByteOffset: 1 + 2 * i, as: UInt16.self) }
            }
            var y = [Float](repeating: .nan, count: rows)
            bytes.withUnsafeBytes { raw in
                HalfRowDot.dotRows(bfloat16: bfloat16, x, weights: raw.baseAddress! + 1, rowBytes: columns * 2, rows: 0..<rows, columns: columns, into: &y)
                for r in 0..<rows {
                    let row = raw.baseAddress! + 1 + r * columns * 2
                    let reference = bfloat16 ? HalfRowDot.bfloat16Reference(x, row, columns) : HalfRowDot.halfReference(x, row, columns)
                    let magnitude = (0..<columns).reduce(Float(0)) { $0 + abs(x[$1] * values[r * columns + $1]) }
                    #expect(abs(y[r] - reference) <= 4 * Float(columns).squareRoot() * Float.ulpOfOne * magnitude + 1e-6,
                            "\(bfloat16 ? "bf16" : "f16") row \(r): \(y[r]) vs \(reference)")
                }
                if !bfloat16 {
                    var widened = [Float](repeating: .nan, count: patterns.count)
                    HalfRowDot.widen(raw.baseAddress! + 1, count: patterns.count, into: &widened)
                    #expect(widened.map(\.bitPattern) == patterns.map { HalfPrecision.float(fromHalf: $0).bitPattern })
                }
            }
        }
    }
}
