/// A weight matrix `[rows, columns]` left in its file's layout and memory (mmap): F32/F16/BF16 elements or
/// quant blocks. Rows are dequantized on the fly, a row or a tile at a time, never the whole model.
public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    public let type: TensorType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    public let base: UnsafeRawPointer
    /// A GPTQ layer regrouped by `g_idx` stores its input columns in another order: stored column j holds input
    /// column `columnOrder[j]`, so every product gathers its input the same way first. Nil for other files.
    public let columnOrder: [Int32]?

    /// `base` must stay valid (mapped) as long as the matrix is used.
    public init(name: String, type: TensorType, rows: Int, columns: Int, base: UnsafeRawPointer, columnOrder: [Int32]? = nil) {
        precondition(columnOrder.map { $0.count == columns } ?? true, "a column order names every column once")
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        rowBytes = type.rowBytes(count: columns)
        self.base = base
        self.columnOrder = columnOrder
    }

    @inline(__always)
    public func row(_ index: Int) -> UnsafeRawPointer { base + index * rowBytes }

    /// The f32 values of row `index`.
    @inline(__always)
    public func dequantizeRow(_ index: Int, into output: UnsafeMutablePointer<Float>) {
        type.dequantize(row(index), count: columns, into: output)
    }

    /// Row `index` · x, for the storage types without a dedicated decode kernel (16-bit and quantized rows
    /// have theirs in `MatrixProduct`): f32 directly, others dequantized into `scratch` (≥ `columns` floats).
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
