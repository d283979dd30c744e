/// The quant block formats the engine can read, keyed by GGML type id, each with its (fast, C) row
/// dequantizer. `QuantizedKernels` has the integer dot products; `ScalarDequantizer` is the reference.
public struct QuantizedRowFormat: Sendable {
    public let typeID: UInt32
    public let name: String
    public let blockSize: Int
    public let bytesPerBlock: Int
    /// Dequantizes `count` values (a whole number of blocks) from `row` into `output`.
    public let dequantize: @Sendable (_ row: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) -> Void
}

public enum QuantizedRows {
    public static let formats: [QuantizedRowFormat] = QuantFormat.weightFormats.map { format in
        QuantizedRowFormat(typeID: format.rawValue, name: format.description, blockSize: format.blockSize,
                           bytesPerBlock: format.bytesPerBlock) { row, count, output in
            QuantizedKernels.dequantize(format, row, count: count, into: output)
        }
    }

    public static func format(for typeID: UInt32) -> QuantizedRowFormat? {
        formats.first { $0.typeID == typeID }
    }
}
