import Kernels
import ModelFiles

/// A weight matrix `[rows, columns]` left in its file's layout and memory (mmap): F32/F16/BF16 elements or
/// quant blocks. Rows are dequantized on the fly, a row or a tile at a time, never the whole model.
public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    public let type: TensorType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    let base: UnsafeRawPointer
    /// The block format when the rows are quantized (they then have integer dot products).
    let quantFormat: QuantFormat?
    /// GPTQ layers regrouped by `g_idx`: the input gather each product needs (see `TensorView.columnOrder`).
    let columnOrder: [Int32]?

    init(_ view: TensorView, rows: Int, columns: Int) {
        name = view.info.name
        type = view.info.type
        self.rows = rows
        self.columns = columns
        rowBytes = columns / type.blockSize * type.bytesPerBlock
        base = view.bytes.baseAddress!
        quantFormat = QuantFormat.weightFormats.first { $0.rawValue == view.info.type.rawValue }
        columnOrder = view.columnOrder
    }

    @inline(__always)
    func row(_ index: Int) -> UnsafeRawPointer { base + index * rowBytes }

    /// The f32 values of row `index`.
    @inline(__always)
    func dequantizeRow(_ index: Int, into output: UnsafeMutablePointer<Float>) {
        RowFormats.dequantize(type, row(index), count: columns, into: output)
    }

    /// Row `index` · x, for the storage types without a dedicated decode kernel (16-bit and quantized rows
    /// have theirs in `LinearKernels`): f32 directly, others dequantized into `scratch` (≥ `columns` floats).
    @inline(__always)
    func dot(row index: Int, _ x: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) -> Float {
        let bytes = row(index)
        switch type {
        case .f32: return VectorMath.dot(x, bytes.assumingMemoryBound(to: Float.self), columns)
        default:
            dequantizeRow(index, into: scratch)
            return VectorMath.dot(x, scratch, columns)
        }
    }

    /// Row `index` as f32 without copying, when the file stores f32.
    @inline(__always)
    func floatRow(_ index: Int) -> UnsafePointer<Float>? {
        type == .f32 ? row(index).assumingMemoryBound(to: Float.self) : nil
    }
}
