/// The quant block formats the engine can read, keyed by GGML type id. Each format is one file beside this
/// one (`Q4_0.swift`, `Q4_K.swift`, …) with its block layout and a plain scalar dequantizer.
public struct QuantizedRowFormat: Sendable {
    public let typeID: UInt32
    public let name: String
    public let blockSize: Int
    public let bytesPerBlock: Int
    /// Dequantizes `count` values (a whole number of blocks) from `row` into `output`.
    public let dequantize: @Sendable (_ row: UnsafeRawPointer, _ count: Int, _ output: UnsafeMutablePointer<Float>) -> Void
}

public enum QuantizedRows {
    public static let formats: [QuantizedRowFormat] = []

    public static func format(for typeID: UInt32) -> QuantizedRowFormat? {
        formats.first { $0.typeID == typeID }
    }
}
