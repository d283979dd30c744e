import Foundation
import ModelFiles
import Kernels
import Testing
import TestSupport
import Tokenization

/// Our converter against llama.cpp's: quantizing claire-tiny-fr must give the tensors llama-quantize wrote
/// (same names, shapes, types and bytes), with the metadata keys llama.cpp's Falcon loader reads.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
struct FalconGGUFConverterTests {
    static func convert(_ type: String) throws -> GGUFFile {
        let model = try OpenedModel.open(path: try #require(SharedFiles.url("reference/models/claire-tiny-fr")).path)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("convert-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FalconGGUFConverter.convert(model, to: try #require(TensorType(fileTypeName: type)), path: out, threads: 2) { _ in }
        return try GGUFFile(path: out)
    }

    @Test(arguments: ["q8_0", "q4_0"])
    func tensorsAreThoseOfLlamaQuantize(_ type: String) throws {
        let ours = try Self.convert(type)
        let theirs = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/claire-tiny-fr.\(type.uppercased()).gguf")).path)
        // The order of tensors in a file is the converter's choice; the set is not.
        #expect(Set(ours.tensorInfos.map(\.name)) == Set(theirs.tensorInfos.map(\.name)))
        for info in theirs.tensorInfos {
            let mine = try ours.requireTensor(named: info.name)
            let reference = try theirs.requireTensor(named: info.name)
            #expect(mine.info.type == reference.info.type, "\(info.name)")
            #expect(mine.info.shape == reference.info.shape, "\(info.name)")
            #expect(mine.bytes.elementsEqual(reference.bytes), "\(info.name): bytes differ from llama-quantize's")
        }
    }

    @Test func metadataHasLlamaCppsFalconKeys() throws {
        let ours = try Self.convert("q8_0")
        let theirs = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/claire-tiny-fr.Q8_0.gguf")).path)
        #expect(ours.architecture == "falcon")
        #expect(ours.metadata["tokenizer.ggml.pre"]?.string == "falcon")
        let needed = theirs.metadataKeys.filter { $0.hasPrefix("falcon.") || $0.hasPrefix("tokenizer.ggml.") }
        let missing = needed.filter { ours.metadata[$0] == nil }
        #expect(missing.isEmpty, "keys llama.cpp wrote that we do not: \(missing)")
        for key in needed where key.hasPrefix("falcon.") {
            #expect("\(String(describing: ours.metadata[key]))" == "\(String(describing: theirs.metadata[key]))", "\(key)")
        }
        // The vocabulary read back from our file is the one in the reference file.
        let ourTokenizer = try FalconTokenizer(gguf: ours)
        let theirTokenizer = try FalconTokenizer(gguf: theirs)
        #expect(ourTokenizer.encode("Bonjour, je m'appelle Zoé ; 2048 tokens !") == theirTokenizer.encode("Bonjour, je m'appelle Zoé ; 2048 tokens !"))
    }

    /// `--quantize` when loading: the tensors held in memory are those the file would hold.
    @Test(arguments: ["q8_0", "q4_0"])
    func inMemoryQuantizationHoldsLlamaQuantizesTensors(_ type: String) throws {
        let model = try OpenedModel.open(path: try #require(SharedFiles.url("reference/models/claire-tiny-fr")).path)
        let quantized = try FalconGGUFConverter.quantizedInMemory(model, to: try #require(TensorType(fileTypeName: type)), threads: 2)
        let theirs = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/claire-tiny-fr.\(type.uppercased()).gguf")).path)
        #expect(quantized.format == .gguf)
        #expect(Set(quantized.tensors.tensorInfos.map(\.name)) == Set(theirs.tensorInfos.map(\.name)))
        for info in theirs.tensorInfos {
            let mine = try quantized.tensors.requireTensor(named: info.name)
            let reference = try theirs.requireTensor(named: info.name)
            #expect(mine.info == reference.info, "\(info.name)")
            #expect(mine.bytes.elementsEqual(reference.bytes), "\(info.name)")
        }
    }
}
