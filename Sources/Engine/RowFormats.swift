import Kernels
import ModelFiles

/// Which element and block formats the engine computes with, and the one dispatch from a tensor type to its
/// row dequantizer.
enum RowFormats {
    static func isSupported(_ type: TensorType) -> Bool {
        switch type {
        case .f32, .f16, .bf16: return true
        default: return QuantizedRows.format(for: type.rawValue) != nil
        }
    }

    @inline(__always)
    static func dequantize(_ type: TensorType, _ row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            output.update(from: row.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            HalfRowDot.widen(row, count: count, into: output)
        case .bf16:
            let halves = row.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { output[i] = HalfPrecision.float(fromBFloat16: halves[i]) }
        default:
            QuantizedRows.format(for: type.rawValue)!.dequantize(row, count, output)
        }
    }
}
