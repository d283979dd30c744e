import Foundation
import Kernels

/// A GGUF v2/v3 file (llama.cpp's model format), memory-mapped.
///
/// Every count, length, dimension and offset is checked before it is used — against the bytes left, for
/// overflow, and for overlap — so a hostile file gives an error and never a crash or a huge allocation
/// (the llama.cpp GGUF CVEs are about exactly these). Tensor shapes are reported outermost-first; GGUF
/// lists them innermost-first.
public final class GGUFFile: TensorSource, @unchecked Sendable {
    public let file: MappedFile
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order (a writer that copies a file keeps it).
    public let metadataKeys: [String]
    public let tensorInfos: [TensorInfo]
    public let alignment: Int
    public let dataOffset: Int
    private let ranges: [String: Range<Int>]
    private let infoByName: [String: TensorInfo]

    static let magic: UInt32 = 0x4655_4747  // "GGUF" read little-endian
    static let maximumDimensions = 4
    static let maximumArrayElements = 1 << 30

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        var reader = ByteReader(file.bytes, path: file.path)
        let magic = try reader.read(UInt32.self, "the magic number")
        guard magic == Self.magic else { throw reader.error("not a GGUF file (magic \(String(format: "0x%08X", magic)))", at: 0) }
        version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            let hint = version == 1 ? " (GGUF v1 is obsolete; re-convert the model)" : version == 0x0300_0000 ? " (big-endian files are not supported)" : ""
            throw reader.error("unsupported GGUF version \(version)\(hint)", at: 4)
        }
        let tensorCount = try reader.read(UInt64.self, "the tensor count")
        let keyCount = try reader.read(UInt64.self, "the metadata count")
        // Each tensor info takes at least 8 + 4 + 8 + 4 + 8 bytes and each key-value pair at least 8 + 4 bytes.
        guard tensorCount <= UInt64(reader.remaining / 32) else { throw reader.error("tensor count \(tensorCount) cannot fit in the file", at: 8) }
        guard keyCount <= UInt64(reader.remaining / 12) else { throw reader.error("metadata count \(keyCount) cannot fit in the file", at: 16) }

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for index in 0..<Int(keyCount) {
            let keyOffset = reader.offset
            let key = try reader.readString("metadata key #\(index)", maximumLength: 65_535, strictUTF8: true)
            let type = try Self.readType(&reader, "\(key)")
            let valueOffset = reader.offset
            let value = try Self.readValue(&reader, type: type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else { throw reader.error("duplicate metadata key \(key)", at: keyOffset) }
            keys.append(key)
            if key == "general.alignment" {
                // An unbounded or non-power-of-two alignment is a published llama.cpp GGUF vulnerability (the padding overflows).
                guard let requested = value.int, requested > 0, requested.nonzeroBitCount == 1, requested <= 1 << 20 else {
                    throw reader.error("general.alignment \(value) (\(type)) is not a power of two between 1 and 1 MiB", at: valueOffset)
                }
            }
        }
        self.metadata = metadata
        metadataKeys = keys
        let alignment = metadata["general.alignment"]?.int ?? 32
        self.alignment = alignment

        var infos: [TensorInfo] = []
        var relativeRanges: [(name: String, start: Int, length: Int, infoOffset: Int)] = []
        var seen = Set<String>()
        for index in 0..<Int(tensorCount) {
            let infoOffset = reader.offset
            let name = try reader.readString("the name of tensor #\(index)", maximumLength: 1 << 16, strictUTF8: true)
            guard seen.insert(name).inserted else { throw reader.error("duplicate tensor name \(name)", at: infoOffset) }
            let dimensionCount = try reader.read(UInt32.self, "the dimension count of \(name)")
            guard dimensionCount >= 1, dimensionCount <= UInt32(Self.maximumDimensions) else {
                throw reader.error("tensor \(name) has \(dimensionCount) dimensions (1 to \(Self.maximumDimensions) allowed)", at: infoOffset)
            }
            var innermostFirst: [Int] = []
            for _ in 0..<Int(dimensionCount) {
                let extent = try reader.read(UInt64.self, "a dimension of \(name)")
                guard extent >= 1, extent <= UInt64(Int32.max) else { throw reader.error("tensor \(name) has dimension \(extent)", at: infoOffset) }
                innermostFirst.append(Int(extent))
            }
            let rawType = try reader.read(UInt32.self, "the type of \(name)")
            guard let type = TensorType(rawValue: rawType) else { throw reader.error("unsupported tensor type id \(rawType) for tensor \(name)", at: infoOffset) }
            let offset = try reader.read(UInt64.self, "the data offset of \(name)")
            guard innermostFirst[0] % type.blockSize == 0 else {
                throw reader.error("tensor \(name): row length \(innermostFirst[0]) is not a multiple of \(type)'s block size \(type.blockSize)", at: infoOffset)
            }
            let blocksPerRow = innermostFirst[0] / type.blockSize
            guard let byteCount = CheckedSize.multiply([blocksPerRow, type.bytesPerBlock] + innermostFirst.dropFirst()),
                  offset <= UInt64(Int.max / 2) else {
                throw reader.error("tensor \(name): size overflows", at: infoOffset)
            }
            guard Int(offset) % alignment == 0 else {
                throw reader.error("tensor \(name): offset \(offset) is not aligned to \(alignment)", at: infoOffset)
            }
            infos.append(TensorInfo(name: name, type: type, shape: innermostFirst.reversed()))
            relativeRanges.append((name, Int(offset), byteCount, infoOffset))
        }
        let headerEnd = reader.offset
        dataOffset = (headerEnd + alignment - 1) / alignment * alignment
        guard dataOffset <= file.size || relativeRanges.isEmpty else {
            throw ModelFileError(file.path, at: headerEnd, "file ends before its tensor data; truncated?")
        }
        var ranges: [String: Range<Int>] = [:]
        for entry in relativeRanges {
            guard let start = CheckedSize.add(dataOffset, entry.start), let end = CheckedSize.add(start, entry.length), end <= file.size else {
                throw ModelFileError(file.path, at: entry.infoOffset,
                                     "tensor \(entry.name) (\(entry.length) bytes at data offset \(entry.start)) extends past the end of the file (\(file.size) bytes); truncated?")
            }
            ranges[entry.name] = start..<end
        }
        let sorted = relativeRanges.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where ranges[a.name]!.overlaps(ranges[b.name]!) {
            throw ModelFileError(file.path, at: b.infoOffset, "tensors \(a.name) and \(b.name) overlap")
        }
        tensorInfos = infos
        self.ranges = ranges
        infoByName = Dictionary(uniqueKeysWithValues: infos.map { ($0.name, $0) })
    }

    private static func readType(_ reader: inout ByteReader, _ key: String) throws -> GGUFValueType {
        let position = reader.offset
        let raw = try reader.read(UInt32.self, "the value type of \(key)")
        guard let type = GGUFValueType(rawValue: raw) else { throw reader.error("metadata \(key) has unknown value type \(raw)", at: position) }
        return type
    }

    private static func readValue(_ reader: inout ByteReader, type: GGUFValueType, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, key))
        case .int8: return .int8(try reader.read(Int8.self, key))
        case .uint16: return .uint16(try reader.read(UInt16.self, key))
        case .int16: return .int16(try reader.read(Int16.self, key))
        case .uint32: return .uint32(try reader.read(UInt32.self, key))
        case .int32: return .int32(try reader.read(Int32.self, key))
        case .uint64: return .uint64(try reader.read(UInt64.self, key))
        case .int64: return .int64(try reader.read(Int64.self, key))
        case .float32: return .float32(try reader.readFloat32(key))
        case .float64: return .float64(try reader.readFloat64(key))
        case .bool:
            let position = reader.offset
            let byte = try reader.read(UInt8.self, key)
            guard byte <= 1 else { throw reader.error("metadata \(key): boolean byte \(byte) is neither 0 nor 1", at: position) }
            return .bool(byte == 1)
        case .string:
            return .string(try reader.readString("metadata \(key)"))
        case .array:
            let position = reader.offset
            guard depth < 2 else { throw reader.error("metadata \(key): arrays nested too deeply", at: position) }
            let elementType = try readType(&reader, key)
            let count = try reader.read(UInt64.self, "the element count of \(key)")
            // The smallest element (a byte, or an empty string's 8-byte length) bounds the count by the bytes left.
            let smallest = elementType.fixedSize ?? (elementType == .string ? 8 : 12)
            guard count <= UInt64(Self.maximumArrayElements), count <= UInt64(reader.remaining / smallest) else {
                throw reader.error("metadata \(key): array of \(count) elements cannot fit in the file", at: position)
            }
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            switch elementType {
            case .string:
                // The vocabulary's 130k strings: skip the per-element dispatch.
                for _ in 0..<Int(count) { elements.append(.string(try reader.readString("an element of \(key)"))) }
            case .int32:
                for _ in 0..<Int(count) { elements.append(.int32(try reader.read(Int32.self, "an element of \(key)"))) }
            default:
                for _ in 0..<Int(count) {
                    elements.append(try readValue(&reader, type: elementType, key: key, depth: depth + 1))
                }
            }
            return .array(.init(elementType: elementType, elements: elements))
        }
    }

    public func tensor(named name: String) -> TensorView? {
        guard let info = infoByName[name], let range = ranges[name] else { return nil }
        return TensorView(info: info, bytes: UnsafeRawBufferPointer(rebasing: file.bytes[range]))
    }

    public func requireTensor(named name: String) throws -> TensorView {
        guard let view = tensor(named: name) else { throw ModelFileError(file.path, "no tensor named \(name)") }
        return view
    }

    public var architecture: String? { metadata["general.architecture"]?.string }
}
