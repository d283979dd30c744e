import Foundation
import Testing
import TestSupport
@testable import ModelFiles

/// Safetensors files built byte by byte: what a header may say, what it may not, and how shards are found.
struct SafetensorsTests {
    static let temporaryPrefix = "claire-safetensors"

    /// A safetensors file: the u64 length, the header text, then `data`.
    static func file(_ header: String, data: [UInt8], lengthOverride: UInt64? = nil) -> Data {
        var bytes = Data()
        let headerBytes = Data(header.utf8)
        withUnsafeBytes(of: (lengthOverride ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(headerBytes)
        bytes.append(contentsOf: data)
        return bytes
    }

    /// Two F32 tensors, one I64 tensor (skipped by nobody: GGML has I64) and one BOOL tensor (skipped).
    static let header = #"""
        {"__metadata__": {"format": "pt"},
         "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
         "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
         "ids": {"dtype": "I64", "shape": [1], "data_offsets": [24, 32]},
         "mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [32, 35]}}
        """#
    static let data: [UInt8] = (0..<35).map { UInt8($0) }

    func error(_ bytes: Data) throws -> String {
        try withTemporaryDirectory(prefix: Self.temporaryPrefix) { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try bytes.write(to: url)
            do {
                _ = try SafetensorsFile(path: url.path)
                return "no error"
            } catch let error as ModelFileError {
                #expect(error.path == url.path)
                #expect(!error.description.contains("\n"))
                return error.description
            }
        }
    }

    @Test func readsTensorsInDataOrderAndReportsSkippedDTypes() throws {
        let directory = try TemporaryFiles.makeDirectory(prefix: Self.temporaryPrefix)
        defer { TemporaryFiles.remove(directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try Self.file(Self.header, data: Self.data).write(to: url)
        let file = try SafetensorsFile(path: url.path)
        #expect(file.tensorInfos.map(\.name) == ["a", "b", "ids"])
        #expect(file.tensorInfos[0] == TensorInfo(name: "a", type: .f32, shape: [2, 2]))
        let b = try #require(file.tensor(named: "b"))
        #expect(Array(b.bytes) == Array(16..<24))
        #expect(file.tensor(named: "ids")?.info.type == .i64)
        #expect(file.skippedTensors == ["mask": "BOOL"])
        #expect(file.tensor(named: "mask") == nil)
        #expect(throws: ModelFileError(url.path, "unsupported dtype BOOL for tensor mask")) { try file.requireTensor(named: "mask") }
        #expect(throws: ModelFileError(url.path, "no tensor named nope")) { try file.requireTensor(named: "nope") }
    }

    @Test func everyTruncationIsAnError() throws {
        let valid = Self.file(Self.header, data: Self.data)
        for length in 0..<valid.count {
            #expect(try error(valid.prefix(length)) != "no error", "truncated to \(length) bytes")
        }
        #expect(try error(valid) == "no error")
    }

    @Test func hostileHeaders() throws {
        func header(_ text: String, _ data: Int = 16) throws -> String { try error(Self.file(text, data: [UInt8](repeating: 0, count: data))) }
        #expect(try error(Self.file("{}", data: [], lengthOverride: 1 << 63)).contains("at byte 0: header length 9223372036854775808 exceeds"))
        #expect(try error(Self.file("{}", data: [], lengthOverride: 4096)).contains("at byte 0: header length 4096 is larger than the rest"))
        #expect(try header("[1, 2]").contains("at byte 8: the header is not a JSON object"))
        #expect(try header("{\"w\": 3}").contains("tensor w: needs"))
        #expect(try header(#"{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#).contains("tensor w: needs"))
        #expect(try header(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16, 32]}}"#).contains("[begin, end]"))
        #expect(try header(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 4]}}"#).contains("outside"))
        #expect(try header(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 18446744073709551615]}}"#).contains("outside"))
        #expect(try header(#"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}"#).contains("does not fill"))
        #expect(try header(#"{"w": {"dtype": "F32", "shape": [1099511627776, 1099511627776, 64], "data_offsets": [0, 16]}}"#).contains("does not fill"))
        #expect(try header(#"{"w": {"dtype": "U8", "shape": [15], "data_offsets": [0, 16]}}"#).contains("does not fill"))
        #expect(try header(#"{"w": {"dtype": "WEIRD", "shape": [15], "data_offsets": [0, 16]}}"#) == "no error")
        #expect(try header(#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#)
            .contains("at byte 8: the header names a tensor twice"))
        #expect(try header(#"{"w\":\"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {"k": "v:\"w\":"}, "v" : {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#)
            == "no error", "quotes and colons inside strings are not keys")
        #expect(try header(#"{"e": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}, "s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}"#) == "no error")
    }

    /// A sharded checkpoint: the index's weight_map says which shard holds which tensor.
    @Test func shardsFollowTheWeightMap() throws {
        let directory = try TemporaryFiles.makeDirectory(prefix: Self.temporaryPrefix)
        defer { TemporaryFiles.remove(directory) }
        try Self.file(#"{"x": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, data: [1, 2, 3, 4])
            .write(to: directory.appendingPathComponent("model-00001-of-00002.safetensors"))
        try Self.file(#"{"y": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [0, 4]}, "stray": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                      data: [5, 6, 7, 8, 9, 9, 9, 9])
            .write(to: directory.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = #"{"metadata": {}, "weight_map": {"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors"}}"#
        try Data(index.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        let checkpoint = try SafetensorsCheckpoint(path: directory.path)
        #expect(checkpoint.files.count == 2)
        #expect(checkpoint.tensorInfos.map(\.name) == ["x", "y"], "the stray tensor is not in the index")
        #expect(checkpoint.tensor(named: "y").map { Array($0.bytes) } == [5, 6, 7, 8])
        #expect(checkpoint.tensor(named: "stray") == nil)

        let wrong = #"{"weight_map": {"x": "model-00002-of-00002.safetensors"}}"#
        try Data(wrong.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: ModelFileError(directory.appendingPathComponent("model.safetensors.index.json").path,
                                       "weight_map puts tensor x in model-00002-of-00002.safetensors, which does not hold it")) {
            try SafetensorsCheckpoint(path: directory.path)
        }
        let escaping = #"{"weight_map": {"x": "../model.safetensors"}}"#
        try Data(escaping.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: ModelFileError.self) { try SafetensorsCheckpoint(path: directory.path) }
        try Data("{".utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: ModelFileError.self) { try SafetensorsCheckpoint(path: directory.path) }
    }
}
