import Foundation
import Kernels

/// One `.safetensors` file: a u64 header length, a JSON header naming each tensor's dtype, shape and byte
/// range, then the data. Everything in the header is checked against the file before a tensor is handed out.
public final class SafetensorsFile: TensorSource, @unchecked Sendable {
    public let file: MappedFile
    /// The tensors whose dtype the engine can be given (F32, F16, BF16, and the integer/F64 types GGML
    /// names), in data order.
    public let tensorInfos: [TensorInfo]
    /// Tensors the header lists with a dtype TensorType has no case for (BOOL, U8, F8_*, …), by name → dtype.
    /// Their ranges are still checked; asking for one gives an "unsupported dtype" error.
    public let skippedTensors: [String: String]
    private let ranges: [String: Range<Int>]
    private let infoByName: [String: TensorInfo]

    /// A header larger than this is not a model's header but an attempt to make us allocate
    /// (the reference implementation's limit).
    static let maximumHeaderLength = 100_000_000
    /// No real dimension comes near this; it keeps every product of a few of them far from overflow.
    static let maximumDimension = 1 << 40

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        var reader = ByteReader(file.bytes, path: path)
        let headerLength = try reader.read(UInt64.self, "the header length")
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw ModelFileError(path, at: 0, "header length \(headerLength) exceeds the \(Self.maximumHeaderLength)-byte limit; not a safetensors file?")
        }
        guard headerLength <= UInt64(reader.remaining) else {
            throw ModelFileError(path, at: 0, "header length \(headerLength) is larger than the rest of the file (\(reader.remaining) bytes); truncated?")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = file.size - dataStart
        let entries = try SafetensorsHeader.parse(UnsafeRawBufferPointer(rebasing: file.bytes[8..<dataStart]), path: path)

        var infos: [(info: TensorInfo, range: Range<Int>)] = []
        var skipped: [String: String] = [:]
        var skippedRanges: [(name: String, range: Range<Int>)] = []
        for entry in entries {
            let name = entry.name
            let begin = entry.begin, end = entry.end
            guard begin <= end, end <= dataLength else {
                throw ModelFileError(path, at: dataStart, "tensor \(name): data_offsets [\(begin), \(end)] lie outside the \(dataLength)-byte data section; truncated file?")
            }
            guard let shape = entry.shape else {
                throw ModelFileError(path, at: 8, "tensor \(name): a dimension of shape exceeds \(Self.maximumDimension)")
            }
            let dtype = SafetensorsDType(entry.dtype)
            if let bits = dtype.bitsPerElement {
                // end − begin must be exactly the elements times the element size (sub-byte types pack bits).
                guard let elements = CheckedSize.multiply(shape), let totalBits = CheckedSize.multiply([elements, bits]),
                      totalBits % 8 == 0, totalBits / 8 == end - begin else {
                    throw ModelFileError(path, at: dataStart + begin,
                                         "tensor \(name): shape \(shape) of \(entry.dtype) does not fill data_offsets [\(begin), \(end)] (\(end - begin) bytes)")
                }
            }
            let range = (dataStart + begin)..<(dataStart + end)
            if let type = dtype.tensorType {
                infos.append((TensorInfo(name: name, type: type, shape: shape), range))
            } else {
                skipped[name] = entry.dtype
                skippedRanges.append((name, range))
            }
        }
        // Zero-length tensors occupy no bytes, so they cannot overlap anything.
        let occupied = (infos.map { ($0.info.name, $0.range) } + skippedRanges.map { ($0.name, $0.range) })
            .filter { !$0.1.isEmpty }
            .sorted { $0.1.lowerBound < $1.1.lowerBound }
        for (previous, next) in zip(occupied, occupied.dropFirst()) where previous.1.overlaps(next.1) {
            throw ModelFileError(path, at: next.1.lowerBound, "tensors \(previous.0) and \(next.0) overlap")
        }
        infos.sort { $0.range.lowerBound < $1.range.lowerBound }
        tensorInfos = infos.map(\.info)
        ranges = Dictionary(infos.map { ($0.info.name, $0.range) }, uniquingKeysWith: { first, _ in first })
        skippedTensors = skipped
        infoByName = Dictionary(infos.map { ($0.info.name, $0.info) }, uniquingKeysWith: { first, _ in first })
    }

    public func tensor(named name: String) -> TensorView? {
        guard let info = infoByName[name], let range = ranges[name] else { return nil }
        return TensorView(info: info, bytes: UnsafeRawBufferPointer(rebasing: file.bytes[range]))
    }

    public func requireTensor(named name: String) throws -> TensorView {
        if let view = tensor(named: name) { return view }
        if let dtype = skippedTensors[name] {
            throw ModelFileError(file.path, "unsupported dtype \(dtype) for tensor \(name)")
        }
        throw ModelFileError(file.path, "no tensor named \(name)")
    }

    /// Whether the header lists `name` at all, whatever its dtype.
    public func contains(_ name: String) -> Bool { infoByName[name] != nil || skippedTensors[name] != nil }
}

/// A safetensors dtype string and what we know of it.
struct SafetensorsDType {
    let name: String
    init(_ name: String) { self.name = name }

    /// The GGML type a tensor of this dtype is handed out as; nil for dtypes GGML has no type for.
    var tensorType: TensorType? {
        switch name {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        case "F64": return .f64
        case "I8": return .i8
        case "I16": return .i16
        case "I32": return .i32
        case "I64": return .i64
        default: return nil
        }
    }

    /// Size of one element in bits; nil for a dtype the format does not define (then only the range is checked).
    var bitsPerElement: Int? {
        switch name {
        case "F4": return 4
        case "F6_E2M3", "F6_E3M2": return 6
        case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0": return 8
        case "I16", "U16", "F16", "BF16": return 16
        case "I32", "U32", "F32": return 32
        case "I64", "U64", "F64", "C64": return 64
        default: return nil
        }
    }
}

/// The JSON header of a safetensors file, decoded with types that reject what a hand-made header could
/// slip in: negative or fractional dimensions and offsets, missing fields, a value that is not an object.
enum SafetensorsHeader {
    struct Entry {
        var name: String
        var dtype: String
        /// Nil when a dimension is absurdly large.
        var shape: [Int]?
        var begin: Int
        var end: Int
    }

    private struct RawEntry: Decodable {
        var dtype: String
        var shape: [UInt64]
        var data_offsets: [UInt64]
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes every tensor entry but `__metadata__`.
    private struct Document: Decodable {
        var entries: [Entry] = []
        var keyCount = 0

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            keyCount = container.allKeys.count
            for key in container.allKeys where key.stringValue != "__metadata__" {
                let raw: RawEntry
                do {
                    raw = try container.decode(RawEntry.self, forKey: key)
                } catch {
                    throw HeaderProblem(message: "tensor \(key.stringValue): needs \"dtype\" (a string), \"shape\" and two \"data_offsets\" (non-negative integers)")
                }
                guard raw.data_offsets.count == 2 else {
                    throw HeaderProblem(message: "tensor \(key.stringValue): data_offsets must be [begin, end], not \(raw.data_offsets)")
                }
                let limit = UInt64(SafetensorsFile.maximumDimension)
                let shape: [Int]? = raw.shape.allSatisfy { $0 <= limit } ? raw.shape.map { Int($0) } : nil
                // Offsets beyond Int cannot lie inside any file; clamp so the range check reports them.
                let begin = Int(clamping: raw.data_offsets[0]), end = Int(clamping: raw.data_offsets[1])
                entries.append(Entry(name: key.stringValue, dtype: raw.dtype, shape: shape, begin: begin, end: end))
            }
        }
    }

    private struct HeaderProblem: Error { var message: String }

    /// The number of keys of the outermost object, counted on the raw text (strings followed by `:` at
    /// depth 1), for the duplicate check. Only called on text the decoder has already accepted.
    static func topLevelKeyCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var depth = 0, count = 0
        var inString = false, escaped = false, stringEndedAtDepthOne = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    stringEndedAtDepthOne = depth == 1
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ":"): if stringEndedAtDepthOne { count += 1 }
            default: break
            }
            if byte != 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D, byte != UInt8(ascii: "\"") { stringEndedAtDepthOne = false }
        }
        return count
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> [Entry] {
        let data = Data(bytes)
        do {
            let document = try JSONDecoder().decode(Document.self, from: data)
            // JSON decoders keep one of two equal keys silently; the format forbids duplicates.
            if topLevelKeyCount(bytes) != document.keyCount {
                throw HeaderProblem(message: "the header names a tensor twice")
            }
            return document.entries
        } catch let problem as HeaderProblem {
            throw ModelFileError(path, at: 8, problem.message)
        } catch {
            throw ModelFileError(path, at: 8, "the header is not a JSON object of tensor entries")
        }
    }
}

/// A Hugging Face checkpoint's tensors: one `model.safetensors`, or the shards named by
/// `model.safetensors.index.json`, whose `weight_map` decides which shard holds each tensor.
public final class SafetensorsCheckpoint: TensorSource, @unchecked Sendable {
    public let files: [SafetensorsFile]
    public let tensorInfos: [TensorInfo]
    /// The index file, when the checkpoint is sharded.
    public let indexPath: String?
    private let owner: [String: SafetensorsFile]

    /// `path` is a `.safetensors` file, an index file, or a directory holding either.
    public init(path: String) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFileError(path, "no such file or directory")
        }
        var indexPath: String?
        var singlePath: String?
        if isDirectory.boolValue {
            let index = (path as NSString).appendingPathComponent("model.safetensors.index.json")
            let single = (path as NSString).appendingPathComponent("model.safetensors")
            if fileManager.fileExists(atPath: index) {
                indexPath = index
            } else if fileManager.fileExists(atPath: single) {
                singlePath = single
            } else {
                let found = ((try? fileManager.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
                guard found.count == 1 else {
                    throw ModelFileError(path, found.isEmpty
                        ? "no model.safetensors or model.safetensors.index.json here"
                        : "several .safetensors files (\(found.joined(separator: ", "))) but no model.safetensors.index.json")
                }
                singlePath = (path as NSString).appendingPathComponent(found[0])
            }
        } else if path.hasSuffix(".json") {
            indexPath = path
        } else {
            singlePath = path
        }
        self.indexPath = indexPath

        if let singlePath {
            let file = try SafetensorsFile(path: singlePath)
            files = [file]
            tensorInfos = file.tensorInfos
            owner = Dictionary(file.tensorInfos.map { ($0.name, file) }, uniquingKeysWith: { first, _ in first })
            return
        }
        guard let indexPath else { throw ModelFileError(path, "no safetensors file") }
        let weightMap = try Self.weightMap(indexPath)
        let directory = (indexPath as NSString).deletingLastPathComponent
        var shardByName: [String: SafetensorsFile] = [:]
        var shards: [SafetensorsFile] = []
        for shardName in Set(weightMap.values).sorted() {
            let shard = try SafetensorsFile(path: (directory as NSString).appendingPathComponent(shardName))
            shardByName[shardName] = shard
            shards.append(shard)
        }
        var owner: [String: SafetensorsFile] = [:]
        for (tensor, shardName) in weightMap {
            guard let shard = shardByName[shardName], shard.contains(tensor) else {
                throw ModelFileError(indexPath, "weight_map puts tensor \(tensor) in \(shardName), which does not hold it")
            }
            owner[tensor] = shard
        }
        // File order: shard by shard, each in data order; only the tensors the index assigns to that shard.
        tensorInfos = shards.flatMap { shard in shard.tensorInfos.filter { owner[$0.name] === shard } }
        files = shards
        self.owner = owner
    }

    /// The index's tensor → shard file map; shard names must be plain file names next to the index.
    private static func weightMap(_ index: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: index) else { throw ModelFileError(index, "cannot read") }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = json["weight_map"] as? [String: Any] else {
            throw ModelFileError(index, "not a safetensors index: needs a \"weight_map\" object of tensor → shard file")
        }
        var result: [String: String] = [:]
        for (tensor, value) in map {
            guard let shard = value as? String else { throw ModelFileError(index, "weight_map[\(tensor)] is not a file name") }
            guard !shard.isEmpty, !shard.contains("/"), !shard.hasPrefix(".") else {
                throw ModelFileError(index, "shard name \"\(shard)\" must be a plain file name in the index's folder")
            }
            result[tensor] = shard
        }
        guard !result.isEmpty else { throw ModelFileError(index, "weight_map is empty") }
        return result
    }

    public func tensor(named name: String) -> TensorView? {
        owner[name]?.tensor(named: name)
    }

    public func requireTensor(named name: String) throws -> TensorView {
        if let shard = owner[name] { return try shard.requireTensor(named: name) }
        throw ModelFileError(indexPath ?? files.first?.file.path ?? "checkpoint", "no tensor named \(name)")
    }

    /// Tensors listed with a dtype the engine cannot be given, by name → dtype.
    public var skippedTensors: [String: String] {
        var result: [String: String] = [:]
        for file in files { for (name, dtype) in file.skippedTensors where owner[name] === file { result[name] = dtype } }
        return result
    }

    public var totalBytes: Int { files.reduce(0) { $0 + $1.file.size } }
}
