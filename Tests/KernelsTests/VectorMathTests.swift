import Foundation
import Testing
@testable import Kernels

struct VectorMathTests {
    @Test func simdDotAgreesWithThePlainLoop() {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 7, 8, 15, 16, 17, 64, 255, 4544] {
            let a = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
            let b = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
            let reference = zip(a, b).reduce(Double(0)) { $0 + Double($1.0) * Double($1.1) }
            let fast = VectorMath.dot(a, b, count)
            #expect(abs(Double(fast) - reference) <= 1e-5 * Double(max(count, 1)).squareRoot(), "count \(count)")
        }
    }

    @Test func halfAndBFloat16RoundTrip() {
        for value: Float in [0, 1, -2.5, 65504, 6.1035156e-05, 0.1, -0.333333] {
            let half = HalfPrecision.half(from: value)
            #expect(abs(HalfPrecision.float(fromHalf: half) - value) <= abs(value) * 1e-3)
        }
        #expect(HalfPrecision.float(fromHalf: 0x3C00) == 1)
        #expect(HalfPrecision.float(fromHalf: 0xC000) == -2)
        #expect(HalfPrecision.float(fromBFloat16: 0x3F80) == 1)
        #expect(HalfPrecision.bfloat16(from: 1) == 0x3F80)
        // Round to nearest even: 1 + 2^-8 is halfway between two bf16 values and goes to the even one (1).
        #expect(HalfPrecision.bfloat16(from: 1 + 0x1p-8) == 0x3F80)
        #expect(HalfPrecision.bfloat16(from: 1 + 0x1p-8 + 0x1p-16) == 0x3F81)
    }

    @Test func geluIsTheExactErfForm() {
        #expect(abs(VectorMath.gelu(1) - 0.8413447) < 1e-6)
        #expect(abs(VectorMath.gelu(-1) - -0.15865526) < 1e-6)
        #expect(VectorMath.gelu(0) == 0)
        // The tanh approximation differs here by about 2e-4; the exact form must not.
        #expect(abs(VectorMath.gelu(2) - 1.9544997) < 1e-6)
    }

    @Test func layerNormMatchesItsDefinition() {
        let x: [Float] = [1, 2, 3, 4]
        let weight: [Float] = [1, 1, 2, 2]
        let bias: [Float] = [0, 1, 0, 1]
        var y = [Float](repeating: 0, count: 4)
        VectorMath.layerNorm(x, &y, count: 4, weight: weight, bias: bias, epsilon: 1e-5)
        let inverse = 1 / (1.25 + 1e-5).squareRoot()
        let expected = [-1.5 * inverse, -0.5 * inverse + 1, 0.5 * inverse * 2, 1.5 * inverse * 2 + 1].map(Float.init)
        for (a, b) in zip(y, expected) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func softmaxSumsToOneAndKeepsOrder() {
        var values: [Float] = [1, 3, 2, -1000]
        VectorMath.softmax(&values, 4)
        #expect(abs(values.reduce(0, +) - 1) < 1e-6)
        #expect(values[1] > values[2] && values[2] > values[0] && values[3] == 0)
    }
}
