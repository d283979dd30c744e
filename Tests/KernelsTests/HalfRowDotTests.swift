import Foundation
import Testing
@testable import Kernels

struct HalfRowDotTests {
    /// Random rows of every awkward length, as the files store them (16-bit patterns), against the plain loops
    /// and against an f64 sum of the exactly widened values.
    @Test(arguments: [0, 1, 7, 15, 16, 17, 33, 64, 255, 4544])
    func simdDotsAgreeWithThePlainLoops(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let x = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
        let values = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
        let halves = values.map(HalfPrecision.half(from:))
        let bfloats = values.map(HalfPrecision.bfloat16(from:))
        let exactHalf = zip(x, halves).reduce(Double(0)) { $0 + Double($1.0) * Double(HalfPrecision.float(fromHalf: $1.1)) }
        let exactBFloat = zip(x, bfloats).reduce(Double(0)) { $0 + Double($1.0) * Double(HalfPrecision.float(fromBFloat16: $1.1)) }
        let tolerance = 1e-5 * Double(max(count, 1)).squareRoot() * 4
        #expect(abs(Double(HalfRowDot.half(x, halves, count)) - exactHalf) <= tolerance)
        #expect(abs(Double(HalfRowDot.halfReference(x, halves, count)) - exactHalf) <= tolerance)
        #expect(abs(Double(HalfRowDot.bfloat16(x, bfloats, count)) - exactBFloat) <= tolerance)
        #expect(abs(Double(HalfRowDot.bfloat16Reference(x, bfloats, count)) - exactBFloat) <= tolerance)
    }

    /// Special patterns widen exactly: subnormal halves, infinities, the largest values, signed zeros.
    @Test func specialPatternsWidenExactly() {
        let halfPatterns: [UInt16] = [0x0001, 0x03FF, 0x0400, 0x7BFF, 0x8000, 0xFBFF, 0x3C00, 0xBC00]
        let bfloatPatterns: [UInt16] = [0x0001, 0x007F, 0x0080, 0x7F7F, 0x8000, 0xFF7F, 0x3F80, 0xBF80]
        var ones = [Float](repeating: 0, count: 16)
        for index in 0..<8 {
            ones = [Float](repeating: 0, count: 16)
            ones[index] = 1
            var halves = [UInt16](repeating: 0, count: 16), bfloats = [UInt16](repeating: 0, count: 16)
            halves[index] = halfPatterns[index]
            bfloats[index] = bfloatPatterns[index]
            #expect(HalfRowDot.half(ones, halves, 16) == Float(Float16(bitPattern: halfPatterns[index])))
            #expect(HalfRowDot.bfloat16(ones, bfloats, 16) == Float(bitPattern: UInt32(bfloatPatterns[index]) << 16))
        }
    }
}
