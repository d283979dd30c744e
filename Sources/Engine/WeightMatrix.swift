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

    init(_ view: TensorView, rows: Int, columns: Int) {
        name = view.info.name
        type = view.info.type
        self.rows = rows
        self.columns = columns
        rowBytes = columns / type.blockSize * type.bytesPerBlock
        base = view.bytes.baseAddress!
    }

    @inline(__always)
    func row(_ index: Int) -> UnsafeRawPointer { base + index * rowBytes }

    /// The f32 values of row `index`.
    @inline(__always)
    func dequantizeRow(_ index: Int, into output: UnsafeMutablePointer<Float>) {
        RowFormats.dequantize(type, row(index), count: columns, into: output)
    }

    /// Row `index` as f32 without copying, when the file stores f32.
    @inline(__always)
    func floatRow(_ index: Int) -> UnsafePointer<Float>? {
        type == .f32 ? row(index).assumingMemoryBound(to: Float.self) : nil
    }
}
