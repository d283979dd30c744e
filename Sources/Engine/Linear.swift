import Kernels
import ModelFiles

/// A linear layer: `y = x · Wᵀ (+ b)`, W stored `[out, in]`.
struct Linear {
    var weight: WeightMatrix
    var bias: [Float]?
}

extension MatrixProduct {
    /// `y[t] = x[t] · Wᵀ + b` for `t < tokens`.
    func apply(_ linear: Linear, _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>) {
        multiply(x, tokens: tokens, by: linear.weight, into: y)
        if let bias = linear.bias {
            let n = linear.weight.rows
            bias.withUnsafeBufferPointer { b in
                for t in 0..<tokens {
                    let row = y + t * n
                    for i in 0..<n { row[i] += b[i] }
                }
            }
        }
    }
}

extension WeightMatrix {
    /// A matrix over a tensor's mapped bytes (valid while its `TensorSource` lives).
    init(_ view: TensorView, rows: Int, columns: Int) {
        self.init(name: view.info.name, type: view.info.type, rows: rows, columns: columns, base: view.bytes.baseAddress!,
                  columnOrder: view.columnOrder)
    }
}
