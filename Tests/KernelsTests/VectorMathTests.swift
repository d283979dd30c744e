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

    @Test func threadPoolCoversEveryIndexOnce() {
        let pool = ThreadPool(threads: 3)
        for count in [0, 1, 2, 3, 10, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0, count: max(count, 1))
            pool.parallelFor(count) { _, range in for i in range { hits[i] += 1 } }
            #expect((0..<count).allSatisfy { hits[$0] == 1 })
            hits.deallocate()
        }
    }

    @Test func threadPoolChunksCoverEveryIndexOnceOnChunkBoundaries() {
        let pool = ThreadPool(threads: 3)
        for (count, chunk) in [(0, 8), (1, 8), (7, 8), (8, 8), (9, 8), (1000, 64), (4544, 64), (100, 1)] {
            // Per index: how often it was visited, where its range began, which worker ran it (each index is
            // written by the one worker that owns it, so there is no shared write).
            var hits = [Int](repeating: 0, count: count), starts = hits, workers = hits
            hits.withUnsafeMutableBufferPointer { hits in
                starts.withUnsafeMutableBufferPointer { starts in
                    workers.withUnsafeMutableBufferPointer { workers in
                        pool.parallelChunks(count, chunk: chunk) { worker, range in
                            for i in range { hits[i] += 1; starts[i] = range.lowerBound; workers[i] = worker }
                        }
                    }
                }
            }
            #expect(hits.allSatisfy { $0 == 1 }, "count \(count) chunk \(chunk)")
            #expect((0..<count).allSatisfy { starts[$0] == $0 / chunk * chunk }, "count \(count) chunk \(chunk)")
            #expect(workers.allSatisfy { (0..<pool.threadCount).contains($0) })
        }
    }
}
