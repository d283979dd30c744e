import Foundation
import Testing
@testable import ModelFiles

/// Broken and hostile files give one-line errors naming the file (and the byte offset), never a crash or a
/// huge allocation. FALCON.md §8 lists the GGUF parser CVEs these cases come from.
struct HostileFileTests {
    /// Little-endian GGUF bytes, built field by field.
    struct GGUFBytes {
        var data = Data()
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); data.append(contentsOf: s.utf8) }
        mutating func header(version: UInt32 = 3, tensors: UInt64, keys: UInt64) {
            data.append(contentsOf: Array("GGUF".utf8)); u32(version); u64(tensors); u64(keys)
        }
        mutating func tensorInfo(_ name: String, ne: [UInt64], type: UInt32 = 0, offset: UInt64) {
            string(name); u32(UInt32(ne.count)); ne.forEach { u64($0) }; u32(type); u64(offset)
        }
        mutating func pad(to alignment: Int = 32) { while data.count % alignment != 0 { data.append(0) } }
    }

    /// A valid file: one key, two F32 tensors of 8 floats.
    static func validGGUF() -> Data {
        var g = GGUFBytes()
        g.header(tensors: 2, keys: 1)
        g.string("general.architecture"); g.u32(8); g.string("falcon")
        g.tensorInfo("a", ne: [8], offset: 0)
        g.tensorInfo("b", ne: [8], offset: 32)
        g.pad()
        g.data.append(Data(count: 64))
        return g.data
    }

    func write(_ data: Data, _ name: String = "model.gguf") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("claire-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// The error a GGUF file gives, as the user sees it.
    func ggufError(_ data: Data) throws -> String {
        let path = try write(data)
        do {
            _ = try GGUFFile(path: path)
            return "no error"
        } catch let error as ModelFileError {
            #expect(error.path == path)
            #expect(!error.description.contains("\n"))
            return error.description
        }
    }

    @Test func validFileReads() throws {
        let gguf = try GGUFFile(path: try write(Self.validGGUF()))
        #expect(gguf.tensorInfos.map(\.name) == ["a", "b"])
        #expect(gguf.tensor(named: "b")?.bytes.count == 32)
    }

    @Test func everyTruncationIsAnError() throws {
        let valid = Self.validGGUF()
        for length in 0..<(valid.count - 1) {
            let message = try ggufError(valid.prefix(length))
            #expect(message != "no error", "truncated to \(length) bytes")
        }
    }

    @Test func wrongMagicAndVersions() throws {
        var data = Self.validGGUF()
        data[0] = UInt8(ascii: "X")
        #expect(try ggufError(data).contains("at byte 0: not a GGUF file"))
        for version: UInt32 in [1, 99] {
            var g = GGUFBytes()
            g.header(version: version, tensors: 0, keys: 0)
            #expect(try ggufError(g.data).contains("unsupported GGUF version \(version)"))
        }
    }

    @Test func hugeCountsAndLengths() throws {
        var tensors = GGUFBytes()
        tensors.header(tensors: 1 << 62, keys: 0)
        #expect(try ggufError(tensors.data).contains("tensor count"))

        var string = GGUFBytes()
        string.header(tensors: 0, keys: 1)
        string.u64(1 << 63)
        string.data.append(Data(count: 16))
        #expect(try ggufError(string.data).contains("claims"))

        var array = GGUFBytes()
        array.header(tensors: 0, keys: 1)
        array.string("tokenizer.ggml.tokens"); array.u32(9); array.u32(8); array.u64(1 << 40)
        #expect(try ggufError(array.data).contains("cannot fit"))
    }

    @Test func badTensorInfos() throws {
        func file(_ build: (inout GGUFBytes) -> Void) -> Data {
            var g = GGUFBytes()
            g.header(tensors: 1, keys: 0)
            build(&g)
            g.pad()
            g.data.append(Data(count: 64))
            return g.data
        }
        #expect(try ggufError(file { $0.tensorInfo("t", ne: [1, 1, 1, 1, 1], offset: 0) }).contains("5 dimensions"))
        #expect(try ggufError(file { $0.tensorInfo("t", ne: [0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF], offset: 0) }).contains("overflow"))
        #expect(try ggufError(file { $0.tensorInfo("t", ne: [8], offset: 1 << 40) }).contains("past the end"))
        #expect(try ggufError(file { $0.tensorInfo("t", ne: [8], offset: 4) }).contains("not aligned"))
        #expect(try ggufError(file { $0.tensorInfo("t", ne: [8], type: 99, offset: 0) }).contains("unsupported tensor type id 99"))
        #expect(try ggufError(file { $0.tensorInfo("t", ne: [33], type: 2, offset: 0) }).contains("block size"))
    }

    @Test func duplicatesAndOverlaps() throws {
        var g = GGUFBytes()
        g.header(tensors: 2, keys: 0)
        g.tensorInfo("a", ne: [16], offset: 0)
        g.tensorInfo("b", ne: [16], offset: 32)
        g.pad()
        g.data.append(Data(count: 128))
        #expect(try ggufError(g.data).contains("overlap"))

        var d = GGUFBytes()
        d.header(tensors: 2, keys: 0)
        d.tensorInfo("a", ne: [8], offset: 0)
        d.tensorInfo("a", ne: [8], offset: 32)
        #expect(try ggufError(d.data).contains("duplicate tensor name a"))
    }

    /// The error a safetensors file gives.
    func safetensorsError(_ header: String, dataBytes: Int = 16, lengthOverride: UInt64? = nil) throws -> String {
        var data = Data()
        let headerBytes = Data(header.utf8)
        withUnsafeBytes(of: (lengthOverride ?? UInt64(headerBytes.count)).littleEndian) { data.append(contentsOf: $0) }
        data.append(headerBytes)
        data.append(Data(count: dataBytes))
        let path = try write(data, "model.safetensors")
        do {
            _ = try SafetensorsFile(path: path)
            return "no error"
        } catch let error as ModelFileError {
            #expect(error.path == path && !error.description.contains("\n"))
            return error.description
        }
    }

    @Test func hostileSafetensorsHeaders() throws {
        #expect(try safetensorsError(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#) == "no error")
        #expect(try safetensorsError("{}", lengthOverride: 1 << 40).contains("exceeds"))
        #expect(try safetensorsError("{}", lengthOverride: 4096).contains("larger than the rest of the file"))
        #expect(try safetensorsError("not json").contains("not a JSON object"))
        #expect(try safetensorsError(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 1000]}}"#).contains("outside"))
        #expect(try safetensorsError(#"{"w": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}}"#).contains("does not fill"))
        #expect(try safetensorsError(#"{"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}"#).contains("negative"))
        #expect(try safetensorsError(#"{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#).contains("exceeds"))
        #expect(try safetensorsError(#"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#).contains("overlap"))
        #expect(try safetensorsError(#"{"w": {"dtype": "F32"}}"#).contains("needs"))
    }

    @Test func missingAndEmptyFiles() throws {
        #expect(throws: ModelFileError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(try ggufError(Data()).contains("magic"))
        #expect(throws: ModelFileError.self) { try OpenedModel.open(path: "/nonexistent") }
    }
}
