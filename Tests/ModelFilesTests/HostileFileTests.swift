import Foundation
import Testing
import TestSupport
@testable import ModelFiles

/// Broken and hostile files give one-line errors naming the file (and the byte offset), never a crash or a
/// huge allocation. The cases are those of published GGUF parser vulnerabilities (overflowing counts, offsets, alignments).
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

    /// Runs `body` with the path of `data` written to a file named `name`, removed afterwards.
    func withFile<Result>(_ data: Data, _ name: String = "model.gguf", _ body: (String) throws -> Result) throws -> Result {
        try withTemporaryDirectory(prefix: "claire-hostile") { directory in
            let url = directory.appendingPathComponent(name)
            try data.write(to: url)
            return try body(url.path)
        }
    }

    /// The error a GGUF file gives, as the user sees it.
    func ggufError(_ data: Data) throws -> String {
        try withFile(data) { path in
            do {
                _ = try GGUFFile(path: path)
                return "no error"
            } catch let error as ModelFileError {
                #expect(error.path == path)
                #expect(!error.description.contains("\n"))
                return error.description
            }
        }
    }

    @Test func validFileReads() throws {
        try withFile(Self.validGGUF()) { path in
            let gguf = try GGUFFile(path: path)
            #expect(gguf.tensorInfos.map(\.name) == ["a", "b"])
            #expect(gguf.tensor(named: "b")?.bytes.count == 32)
        }
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
        return try withFile(data, "model.safetensors") { path in
            do {
                _ = try SafetensorsFile(path: path)
                return "no error"
            } catch let error as ModelFileError {
                #expect(error.path == path && !error.description.contains("\n"))
                return error.description
            }
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

    /// Metadata that lies about its values: each error names the byte where the bad field starts.
    @Test func hostileMetadata() throws {
        func file(_ build: (inout GGUFBytes) -> Void) -> Data {
            var g = GGUFBytes()
            g.header(tensors: 0, keys: 1)
            build(&g)
            return g.data
        }
        // The key starts at byte 24; its value (after an 8-byte length, the key and a 4-byte type) follows.
        let key = "general.alignment"
        let valueOffset = 24 + 8 + key.utf8.count + 4
        for bad: UInt32 in [0, 3, 48, 1 << 30] {
            let message = try ggufError(file { $0.string(key); $0.u32(4); $0.u32(bad) })
            #expect(message.contains("at byte \(valueOffset): general.alignment \(bad) (u32) is not a power of two"), "\(message)")
        }
        #expect(try ggufError(file { $0.string(key); $0.u32(8); $0.string("32") }).contains("is not a power of two"))
        #expect(try ggufError(file { $0.string("flag"); $0.u32(7); $0.data.append(2) }).contains("boolean byte 2"))
        #expect(try ggufError(file { $0.string("odd"); $0.u32(13); $0.u32(0) }).contains("at byte 35: metadata odd has unknown value type 13"))
        #expect(try ggufError(file { $0.u64(2); $0.data.append(contentsOf: [0xC3, 0x28]); $0.u32(4); $0.u32(1) })
            .contains("at byte 24: metadata key #0 is not valid UTF-8"))
        let nested = try ggufError(file { g in
            g.string("deep"); g.u32(9); g.u32(9); g.u64(1); g.u32(9); g.u64(1); g.u32(4); g.u64(1); g.u32(0)
        })
        #expect(nested.contains("nested too deeply"))
        var duplicate = GGUFBytes()
        duplicate.header(tensors: 0, keys: 2)
        for _ in 0..<2 { duplicate.string("k"); duplicate.u32(4); duplicate.u32(1) }
        #expect(try ggufError(duplicate.data).contains("at byte 41: duplicate metadata key k"))
        // An array whose count would fit only if its elements were smaller than they are.
        #expect(try ggufError(file { $0.string("a"); $0.u32(9); $0.u32(10); $0.u64(3); $0.u64(1); $0.u64(2) }).contains("cannot fit"))
        #expect(try ggufError(file { $0.string("s"); $0.u32(9); $0.u32(8); $0.u64(1 << 29); $0.u64(0) }).contains("cannot fit"))
    }

    /// Every error of every hostile GGUF here is one line with the file's path and a byte offset.
    @Test func errorsNameTheOffset() throws {
        var zeroDimension = GGUFBytes()
        zeroDimension.header(tensors: 1, keys: 0)
        zeroDimension.tensorInfo("t", ne: [8, 0], offset: 0)
        #expect(try ggufError(zeroDimension.data).contains("at byte 24: tensor t has dimension 0"))
        var overflow = GGUFBytes()
        overflow.header(tensors: 1, keys: 0)
        overflow.tensorInfo("t", ne: [32, 0x7FFF_FFFF, 0x7FFF_FFFF, 0x7FFF_FFFF], type: 8, offset: 0)
        #expect(try ggufError(overflow.data).contains("at byte 24: tensor t: size overflows"))
        var past = GGUFBytes()
        past.header(tensors: 1, keys: 0)
        past.tensorInfo("t", ne: [8], offset: 32)
        past.pad()
        past.data.append(Data(count: 40))
        #expect(try ggufError(past.data).contains("at byte 24: tensor t (32 bytes at data offset 32) extends past the end"))
    }

    @Test func missingAndEmptyFiles() throws {
        #expect(throws: ModelFileError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(try ggufError(Data()).contains("magic"))
        #expect(throws: ModelFileError.self) { try OpenedModel.open(path: "/nonexistent") }
    }
}
