import Foundation

/// Small vector kernels of the forward pass, with SIMD bodies and plain loops for the tails.
public enum VectorMath {
    /// Σ a[i]·b[i].
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 16 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// y = (x − mean) / sqrt(var + ε) · weight + bias, PyTorch's LayerNorm (biased variance).
    public static func layerNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, epsilon: Float) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i]) }
        let mean = sum / Double(count)
        var squares: Double = 0
        for i in 0..<count {
            let d = Double(x[i]) - mean
            squares += d * d
        }
        let inverse = Float(1 / (squares / Double(count) + Double(epsilon)).squareRoot())
        let m = Float(mean)
        if let bias {
            for i in 0..<count { y[i] = (x[i] - m) * inverse * weight[i] + bias[i] }
        } else {
            for i in 0..<count { y[i] = (x[i] - m) * inverse * weight[i] }
        }
    }

    /// The exact GELU transformers uses for Falcon: 0.5·x·(1 + erf(x/√2)).
    @inline(__always)
    public static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + erf(x * 0.70710678118654752440))
    }

    /// In-place softmax over `count` values; returns nothing, leaves probabilities.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count where x[i] > maximum { maximum = x[i] }
        var total: Float = 0
        for i in 0..<count {
            let e = expf(x[i] - maximum)
            x[i] = e
            total += e
        }
        let inverse = 1 / total
        for i in 0..<count { x[i] *= inverse }
    }
}
