import Kernels
import ModelFiles

/// A linear layer: `y = x · Wᵀ (+ b)`, W stored `[out, in]`.
struct Linear {
    var weight: WeightMatrix
    var bias: [Float]?

    /// `y[t] += b` for `t < rows` (nothing without a bias).
    func addBias(to y: UnsafeMutablePointer<Float>, rows: Int) {
        guard let bias else { return }
        let n = weight.rows
        bias.withUnsafeBufferPointer { b in
            for t in 0..<rows {
                let row = y + t * n
                for i in 0..<n { row[i] += b[i] }
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
