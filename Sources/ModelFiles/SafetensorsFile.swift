import Foundation

/// One `.safetensors` file: a u64 header length, a JSON header naming each tensor's dtype, shape and byte
/// range, then the data. Everything in the header is checked against the file before a tensor is handed out.
public final class SafetensorsFile: TensorSource, @unchecked Sendable {
    public let file: MappedFile
    public let tensorInfos: [TensorInfo]
    /// Tensors the header lists with a dtype the engine has no use for (I64 position ids, …), by name.
    public let skippedTensors: [String: String]
    private let ranges: [String: Range<Int>]
    private let infoByName: [String: TensorInfo]

    /// A header larger than this is not a model's header but an attempt to make us allocate.
    static let maximumHeaderLength = 100 << 20

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        var reader = ByteReader(file.bytes, path: path)
        let headerLength = try reader.read(UInt64.self, "the header length")
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw ModelFileError(path, at: 0, "header length \(headerLength) exceeds the \(Self.maximumHeaderLength >> 20) MiB limit; not a safetensors file?")
        }
        guard headerLength <= UInt64(reader.remaining) else {
            throw ModelFileError(path, at: 0, "header length \(headerLength) is larger than the rest of the file (\(reader.remaining) bytes); truncated?")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = Data(UnsafeRawBufferPointer(rebasing: file.bytes[8..<dataStart]))
        guard let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw ModelFileError(path, at: 8, "the header is not a JSON object")
        }
        let dataLength = file.size - dataStart

        var infos: [TensorInfo] = []
        var ranges: [String: Range<Int>] = [:]
        var skipped: [String: String] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let rawShape = entry["shape"] as? [Any], let rawOffsets = entry["data_offsets"] as? [Any],
                  rawOffsets.count == 2 else {
                throw ModelFileError(path, "tensor \(name): needs \"dtype\", \"shape\" and two \"data_offsets\"")
            }
            let shape = try rawShape.map { item -> Int in
                guard let number = item as? NSNumber, number.int64Value >= 0, number.int64Value <= Int64(Int32.max) else {
                    throw ModelFileError(path, "tensor \(name): shape \(rawShape) has a negative or huge dimension")
                }
                return number.intValue
            }
            let offsets = try rawOffsets.map { item -> Int in
                guard let number = item as? NSNumber, number.int64Value >= 0 else {
                    throw ModelFileError(path, "tensor \(name): data_offsets \(rawOffsets) are not non-negative integers")
                }
                return number.intValue
            }
            guard offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw ModelFileError(path, "tensor \(name): data_offsets \(offsets) lie outside the \(dataLength)-byte data section; truncated file?")
            }
            guard let type = Self.tensorType(dtype) else {
                skipped[name] = dtype
                continue
            }
            guard let bytes = CheckedSize.multiply(shape + [type.bytesPerBlock]), bytes == offsets[1] - offsets[0] else {
                throw ModelFileError(path, "tensor \(name): shape \(shape) of \(dtype) does not fill data_offsets \(offsets)")
            }
            infos.append(TensorInfo(name: name, type: type, shape: shape))
            ranges[name] = (dataStart + offsets[0])..<(dataStart + offsets[1])
        }
        infos.sort { ranges[$0.name]!.lowerBound < ranges[$1.name]!.lowerBound }
        for (previous, next) in zip(infos, infos.dropFirst()) where ranges[previous.name]!.overlaps(ranges[next.name]!) {
            throw ModelFileError(path, "tensors \(previous.name) and \(next.name) overlap")
        }
        tensorInfos = infos
        self.ranges = ranges
        skippedTensors = skipped
        infoByName = Dictionary(uniqueKeysWithValues: infos.map { ($0.name, $0) })
    }

    static func tensorType(_ dtype: String) -> TensorType? {
        switch dtype {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        case "I32": return .i32
        case "I8": return .i8
        case "I16": return .i16
        case "I64": return .i64
        case "F64": return .f64
        default: return nil
        }
    }

    public func tensor(named name: String) -> TensorView? {
        guard let info = infoByName[name], let range = ranges[name] else { return nil }
        return TensorView(info: info, bytes: UnsafeRawBufferPointer(rebasing: file.bytes[range]))
    }
}

/// A Hugging Face checkpoint's tensors: one `model.safetensors`, or the shards named by
/// `model.safetensors.index.json`.
public final class SafetensorsCheckpoint: TensorSource, @unchecked Sendable {
    public let files: [SafetensorsFile]
    public let tensorInfos: [TensorInfo]
    private let owner: [String: SafetensorsFile]

    /// `path` is a `.safetensors` file, an index file, or a directory holding either.
    public init(path: String) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFileError(path, "no such file or directory")
        }
        var shardPaths: [String]
        if isDirectory.boolValue {
            let index = (path as NSString).appendingPathComponent("model.safetensors.index.json")
            let single = (path as NSString).appendingPathComponent("model.safetensors")
            if fileManager.fileExists(atPath: index) {
                shardPaths = try Self.shards(fromIndex: index)
            } else if fileManager.fileExists(atPath: single) {
                shardPaths = [single]
            } else {
                let found = ((try? fileManager.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
                guard !found.isEmpty else { throw ModelFileError(path, "no model.safetensors or model.safetensors.index.json here") }
                shardPaths = found.map { (path as NSString).appendingPathComponent($0) }
            }
        } else if path.hasSuffix(".json") {
            shardPaths = try Self.shards(fromIndex: path)
        } else {
            shardPaths = [path]
        }
        files = try shardPaths.map { try SafetensorsFile(path: $0) }
        var owner: [String: SafetensorsFile] = [:]
        var infos: [TensorInfo] = []
        for file in files {
            for info in file.tensorInfos {
                if owner[info.name] != nil { throw ModelFileError(file.file.path, "tensor \(info.name) is also in another shard") }
                owner[info.name] = file
                infos.append(info)
            }
        }
        self.owner = owner
        tensorInfos = infos
    }

    private static func shards(fromIndex index: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: index),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = json["weight_map"] as? [String: String] else {
            throw ModelFileError(index, "not a safetensors index: needs a \"weight_map\" object of tensor → shard file")
        }
        let directory = (index as NSString).deletingLastPathComponent
        var seen = Set<String>()
        var shards: [String] = []
        for shard in map.values.sorted() where seen.insert(shard).inserted {
            guard !shard.contains("/"), !shard.hasPrefix(".") else { throw ModelFileError(index, "shard name \"\(shard)\" must be a plain file name") }
            shards.append((directory as NSString).appendingPathComponent(shard))
        }
        return shards
    }

    public func tensor(named name: String) -> TensorView? {
        owner[name]?.tensor(named: name)
    }

    public var totalBytes: Int { files.reduce(0) { $0 + $1.file.size } }
}
