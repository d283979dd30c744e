import Foundation
import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// Writes a GGUF v3 file: metadata in the order it was set, tensor infos, padding, tensor data at aligned
/// offsets. The file appears only when complete (written to a temporary file beside it, then renamed), so
/// an interrupted `quantize` never leaves a half-written model under the final name.
///
/// Tensor bytes come from a closure called once, in order, while writing, so a converter can produce one
/// tensor at a time instead of holding the whole model in memory.
public struct GGUFWriter {
    public let alignment: Int
    private(set) var keys: [String] = []
    private(set) var values: [String: GGUFValue] = [:]
    private(set) var tensors: [PendingTensor] = []
    private var tensorNames = Set<String>()

    struct PendingTensor {
        var info: TensorInfo
        var byteCount: Int
        var bytes: () throws -> Data
    }

    /// Why a file could not be written: the destination and the reason, on one line.
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// `alignment` must be a power of two; anything other than GGUF's default 32 is recorded as
    /// `general.alignment`.
    public init(alignment: Int = 32) throws {
        guard alignment > 0, alignment.nonzeroBitCount == 1, alignment <= 1 << 20 else {
            throw WriteError(path: "GGUF", message: "alignment \(alignment) is not a power of two up to 1 MiB")
        }
        self.alignment = alignment
        if alignment != 32 { set("general.alignment", .uint32(UInt32(alignment))) }
    }

    /// Sets a metadata value; setting a key again replaces its value and keeps its place.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    /// Copies every metadata key of `file` (except the alignment, which is this writer's own).
    public mutating func copyMetadata(from file: GGUFFile) {
        for key in file.metadataKeys where key != "general.alignment" {
            if let value = file.metadata[key] { set(key, value) }
        }
    }

    /// Adds a tensor whose bytes are produced when the file is written. `shape` is outermost-first like
    /// `TensorInfo.shape`; the byte count is checked then against the type and shape.
    public mutating func addTensor(_ info: TensorInfo, bytes: @escaping () throws -> Data) throws {
        guard !info.name.isEmpty, info.name.utf8.count < 64 else {
            throw WriteError(path: "GGUF", message: "tensor name \"\(info.name)\" must be 1 to 63 bytes (llama.cpp's limit)")
        }
        guard tensorNames.insert(info.name).inserted else { throw WriteError(path: "GGUF", message: "duplicate tensor \(info.name)") }
        guard (1...4).contains(info.shape.count), info.shape.allSatisfy({ $0 > 0 }) else {
            throw WriteError(path: "GGUF", message: "tensor \(info.name): shape \(info.shape) must have 1 to 4 positive dimensions")
        }
        guard info.rowLength % info.type.blockSize == 0 else {
            throw WriteError(path: "GGUF", message: "tensor \(info.name): row length \(info.rowLength) is not a multiple of \(info.type)'s block size \(info.type.blockSize)")
        }
        guard let byteCount = CheckedSize.multiply([info.rowLength / info.type.blockSize, info.type.bytesPerBlock] + info.shape.dropLast()) else {
            throw WriteError(path: "GGUF", message: "tensor \(info.name): size overflows")
        }
        tensors.append(PendingTensor(info: info, byteCount: byteCount, bytes: bytes))
    }

    /// Adds a tensor whose bytes are already in memory.
    public mutating func addTensor(name: String, type: TensorType, shape: [Int], data: Data) throws {
        try addTensor(TensorInfo(name: name, type: type, shape: shape)) { data }
    }

    /// Writes the file at `path`, replacing any file there only once the new one is complete.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: temporary) else {
            throw WriteError(path: path, message: "cannot create a temporary file in \(url.deletingLastPathComponent().path)")
        }
        var finished = false
        defer {
            try? handle.close()
            if !finished { try? FileManager.default.removeItem(at: temporary) }
        }
        do {
            var output = ChunkedOutput(handle: handle)
            try output.append(header())
            for tensor in tensors {
                let data = try tensor.bytes()
                guard data.count == tensor.byteCount else {
                    throw WriteError(path: path, message: "tensor \(tensor.info.name): \(data.count) bytes given, \(tensor.info.type) \(tensor.info.shape) needs \(tensor.byteCount)")
                }
                try output.append(data)
                try output.append(Data(count: Self.padding(tensor.byteCount, alignment)))
            }
            try output.flush()
            try handle.synchronize()
        } catch let error as WriteError {
            throw error
        } catch {
            throw WriteError(path: path, message: "write failed: \(error.localizedDescription)")
        }
        try? handle.close()
        guard rename(temporary.path, path) == 0 else {
            throw WriteError(path: path, message: "cannot rename the finished file into place: \(String(cString: strerror(errno)))")
        }
        finished = true
    }

    static func padding(_ size: Int, _ alignment: Int) -> Int { (alignment - size % alignment) % alignment }

    /// Everything before the tensor data: magic, version, counts, metadata, tensor infos, padding.
    func header() throws -> Data {
        var out = GGUFEncoder()
        out.bytes.append(contentsOf: Array("GGUF".utf8))
        out.u32(3)
        out.u64(UInt64(tensors.count))
        out.u64(UInt64(keys.count))
        for key in keys {
            guard let value = values[key] else { continue }
            out.string(key)
            out.u32(value.valueType.rawValue)
            try out.value(value, key: key)
        }
        var offset = 0
        for tensor in tensors {
            out.string(tensor.info.name)
            out.u32(UInt32(tensor.info.shape.count))
            for extent in tensor.info.shape.reversed() { out.u64(UInt64(extent)) }  // GGUF lists ne innermost-first
            out.u32(tensor.info.type.rawValue)
            out.u64(UInt64(offset))
            offset += tensor.byteCount + Self.padding(tensor.byteCount, alignment)
        }
        out.bytes.append(Data(count: Self.padding(out.bytes.count, alignment)))
        return out.bytes
    }
}

/// Little-endian GGUF encoding of the primitive fields.
struct GGUFEncoder {
    var bytes = Data()

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func integer<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    mutating func value(_ value: GGUFValue, key: String) throws {
        switch value {
        case let .uint8(v): integer(v)
        case let .int8(v): integer(v)
        case let .uint16(v): integer(v)
        case let .int16(v): integer(v)
        case let .uint32(v): integer(v)
        case let .int32(v): integer(v)
        case let .uint64(v): integer(v)
        case let .int64(v): integer(v)
        case let .float32(v): integer(v.bitPattern)
        case let .float64(v): integer(v.bitPattern)
        case let .bool(v): integer(UInt8(v ? 1 : 0))
        case let .string(v): string(v)
        case let .array(array):
            u32(array.elementType.rawValue)
            u64(UInt64(array.elements.count))
            for element in array.elements {
                guard element.valueType == array.elementType else {
                    throw GGUFWriter.WriteError(path: "GGUF", message: "metadata \(key): a \(element.valueType) element in an array of \(array.elementType)")
                }
                try self.value(element, key: key)
            }
        }
    }
}

/// Buffers writes into large chunks (tensor data can be gigabytes; metadata many small pieces).
private struct ChunkedOutput {
    let handle: FileHandle
    var buffer = Data()
    static let chunk = 8 << 20

    mutating func append(_ data: Data) throws {
        if data.count >= Self.chunk {
            try flush()
            try handle.write(contentsOf: data)
        } else {
            buffer.append(data)
            if buffer.count >= Self.chunk { try flush() }
        }
    }

    mutating func flush() throws {
        if !buffer.isEmpty { try handle.write(contentsOf: buffer) }
        buffer.removeAll(keepingCapacity: true)
    }
}

extension GGUFValue {
    /// Convenience constructors for arrays, so callers need not spell the element type.
    public static func strings(_ values: [String]) -> GGUFValue { .array(.init(elementType: .string, elements: values.map { .string($0) })) }
    public static func int32s(_ values: [Int32]) -> GGUFValue { .array(.init(elementType: .int32, elements: values.map { .int32($0) })) }
    public static func float32s(_ values: [Float]) -> GGUFValue { .array(.init(elementType: .float32, elements: values.map { .float32($0) })) }
}
