import Foundation
import ModelFiles

/// Reads oracle tensors (logits, ids) from a reference safetensors file.
struct ReferenceTensors {
    let file: SafetensorsFile

    init(path: String) throws {
        file = try SafetensorsFile(path: path)
    }

    func floats(_ name: String) -> [Float]? {
        guard let view = file.tensor(named: name), view.info.type == .f32 else { return nil }
        return Array(view.bytes.bindMemory(to: Float.self))
    }

    func ints(_ name: String) -> [Int32]? {
        guard let view = file.tensor(named: name), view.info.type == .i32 else { return nil }
        return Array(view.bytes.bindMemory(to: Int32.self))
    }
}

func maximumDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
