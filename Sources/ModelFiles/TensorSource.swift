import Foundation
import Kernels

/// A tensor's name, type and shape. `shape` is outermost-first (PyTorch order: a linear weight is
/// `[out, in]`), whatever the file says; GGUF's innermost-first `ne` is reversed by its reader.
public struct TensorInfo: Sendable, Equatable {
    public var name: String
    public var type: TensorType
    public var shape: [Int]

    public init(name: String, type: TensorType, shape: [Int]) {
        self.name = name
        self.type = type
        self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// Elements per row (the innermost dimension); quant blocks never cross a row.
    public var rowLength: Int { shape.last ?? 1 }
    public var rowCount: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }
}

/// A tensor whose bytes stay where the file put them (memory-mapped). `bytes` is valid as long as the
/// `TensorSource` that returned it is alive.
public struct TensorView: @unchecked Sendable {
    public var info: TensorInfo
    public var bytes: UnsafeRawBufferPointer
    /// A GPTQ layer stored with its input columns regrouped (Sources/ModelFiles/GPTQ): stored column j holds
    /// input column `columnOrder[j]`, so a product must gather its input the same way. Nil for every other file.
    public var columnOrder: [Int32]?

    public init(info: TensorInfo, bytes: UnsafeRawBufferPointer) {
        self.info = info
        self.bytes = bytes
    }
}

/// Anything that holds named tensors: a safetensors checkpoint (one file or shards) or a GGUF file.
public protocol TensorSource: AnyObject, Sendable {
    /// Every tensor's info, in file order.
    var tensorInfos: [TensorInfo] { get }
    /// The tensor called `name`, or nil when the file has none by that name.
    func tensor(named name: String) -> TensorView?
    /// The tensor called `name`, or an error that names the file and says why (absent, or a dtype the
    /// readers skip).
    func requireTensor(named name: String) throws -> TensorView
}

extension TensorSource {
    public func requireTensor(named name: String) throws -> TensorView {
        guard let view = tensor(named: name) else { throw ModelFileError("model", "no tensor named \(name)") }
        return view
    }

    /// Tensor counts by type, for summaries.
    public var tensorCountsByType: [TensorType: Int] {
        tensorInfos.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }

    /// Total number of weights.
    public var parameterCount: Int { tensorInfos.reduce(0) { $0 + $1.elementCount } }
}
