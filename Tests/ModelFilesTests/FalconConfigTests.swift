import Foundation
import Testing
import TestSupport
@testable import ModelFiles

/// FalconConfig from Hugging Face JSON (every alias and default transformers' FalconConfig accepts) and from GGUF.
struct FalconConfigTests {
    func config(_ json: [String: Any]) throws -> FalconConfig { try FalconConfig(huggingFaceJSON: json, path: "config.json") }

    func error(_ json: [String: Any]) -> String {
        do {
            _ = try config(json)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    static let minimal: [String: Any] = ["hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2]

    @Test func defaultsAreTransformers() throws {
        let c = try config(Self.minimal)
        #expect(c.vocabularySize == 65024 && c.feedForwardSize == 256 && c.headDimension == 16)
        #expect(c.kvHeadCount == 1, "multi_query defaults to true")
        #expect(c.parallelAttention && !c.alibi && !c.bias && !c.newDecoderArchitecture)
        #expect(c.layerNormEpsilon == 1e-5 && c.ropeTheta == 10_000 && c.contextLength == 2048)
        #expect(c.bosTokenID == 11 && c.eosTokenID == 11 && c.tiedEmbeddings == true)
        #expect(c.layoutID == "mqa-parallel")
    }

    @Test func kvHeadRule() throws {
        func kv(_ extra: [String: Any]) throws -> Int { try config(Self.minimal.merging(extra) { $1 }).kvHeadCount }
        #expect(try kv(["num_kv_heads": 4, "multi_query": true]) == 1, "claire-tiny-fr: num_kv_heads ignored")
        #expect(try kv(["num_kv_heads": 2, "multi_query": false]) == 4, "MHA: num_attention_heads")
        #expect(try kv(["num_kv_heads": 2, "new_decoder_architecture": true]) == 2)
        #expect(try kv(["n_head_kv": 2, "new_decoder_architecture": true, "multi_query": true]) == 2)
        #expect(try kv(["new_decoder_architecture": true]) == 4, "num_kv_heads None → num_attention_heads")
    }

    @Test func aliasesAndRefinedWeb() throws {
        let rw7b = try config(["model_type": "RefinedWebModel", "n_embed": 4544, "n_head": 71, "n_layer": 32, "multi_query": true,
                               "parallel_attn": true, "alibi": false, "bias": false])
        #expect(rw7b.hiddenSize == 4544 && rw7b.headCount == 71 && rw7b.layerCount == 32 && rw7b.kvHeadCount == 1)
        #expect(!rw7b.newDecoderArchitecture && rw7b.feedForwardSize == 18176 && rw7b.headDimension == 64)
        // falcon-40b's original config: RefinedWeb with n_head_kv and no new_decoder_architecture key.
        let rw40b = try config(["model_type": "RefinedWeb", "n_embed": 8192, "n_head": 128, "n_layer": 60, "n_head_kv": 8,
                                "parallel_attn": true, "bias": false, "alibi": false])
        #expect(rw40b.newDecoderArchitecture && rw40b.kvHeadCount == 8 && rw40b.layerNormsPerLayer == 2)
        #expect(rw40b.layoutID == "new-decoder")
        let v5 = try config(Self.minimal.merging(["rope_parameters": ["rope_theta": 500_000.0, "rope_type": "default"],
                                                  "eos_token_id": [2, 7], "tie_word_embeddings": false,
                                                  "num_ln_in_parallel_attn": NSNull(), "torch_dtype": "bfloat16"]) { $1 })
        #expect(v5.ropeTheta == 500_000 && v5.eosTokenID == 2 && v5.tiedEmbeddings == false)
        #expect(try config(Self.minimal.merging(["rope_theta": 1_000_000.0]) { $1 }).ropeTheta == 1_000_000)
        let rw = try config(Self.minimal.merging(["alibi": true, "parallel_attn": false, "bias": true, "multi_query": false]) { $1 })
        #expect(rw.layoutID == "alibi-sequential" && rw.kvHeadCount == 4)
        #expect(try config(Self.minimal.merging(["multi_query": false]) { $1 }).layoutID == "mha-parallel")
    }

    @Test func rejectsBadConfigs() throws {
        #expect(error(["model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1]).contains("is not Falcon"))
        #expect(error(["hidden_size": 64]).contains("needs hidden_size"))
        #expect(error(["hidden_size": 10, "num_attention_heads": 3, "num_hidden_layers": 1]).contains("not a multiple of the 3 heads"))
        #expect(error(Self.minimal.merging(["num_kv_heads": 3, "new_decoder_architecture": true]) { $1 }).contains("cannot be grouped over 3 KV heads"))
        #expect(error(Self.minimal.merging(["hidden_size": 0]) { $1 }).contains("must be positive"))
        #expect(error(Self.minimal.merging(["hidden_size": 1e300]) { $1 }).contains("hidden_size must be an integer"))
        #expect(error(Self.minimal.merging(["hidden_size": 64.5]) { $1 }).contains("hidden_size must be an integer"))
        #expect(error(Self.minimal.merging(["hidden_size": "64"]) { $1 }).contains("hidden_size must be an integer"))
        #expect(error(Self.minimal.merging(["num_hidden_layers": 100_000]) { $1 }).contains("layers"))
        #expect(error(Self.minimal.merging(["max_position_embeddings": 1 << 40]) { $1 }).contains("context length"))
        #expect(error(Self.minimal.merging(["vocab_size": 8]) { $1 }).contains("bos/eos"))
        #expect(error(Self.minimal.merging(["rope_theta": -1.0]) { $1 }).contains("rope theta"))
        for message in [error(["hidden_size": 10, "num_attention_heads": 3, "num_hidden_layers": 1])] {
            #expect(message.hasPrefix("config.json: ") && !message.contains("\n"))
        }
        let directory = try TemporaryFiles.makeDirectory(prefix: "claire-config")
        defer { TemporaryFiles.remove(directory) }
        let url = directory.appendingPathComponent("config.json")
        try Data("{\"hidden_size\": ".utf8).write(to: url)
        #expect(throws: ModelFileError(url.path, "not a JSON object")) { try FalconConfig(huggingFaceConfig: url) }
    }

    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
    func readsTheReferenceConfigs() throws {
        let claire = try FalconConfig(huggingFaceConfig: try #require(SharedFiles.url("reference/models/claire-tiny-fr/config.json")))
        #expect(claire.kvHeadCount == 1 && claire.hiddenSize == 256 && claire.headCount == 4 && claire.layerCount == 6)
        #expect(claire.vocabularySize == 65024 && claire.feedForwardSize == 1024 && claire.contextLength == 2048)
        #expect(claire.checkpointDType == "bfloat16" && claire.tiedEmbeddings == true)
        let expected = ["falcon7b-mqa-parallel": "mqa-parallel", "falcon40b-gqa-newdecoder": "new-decoder",
                        "falcon-mha-parallel": "mha-parallel", "falconrw-alibi-sequential": "alibi-sequential"]
        for (folder, layout) in expected {
            let c = try FalconConfig(huggingFaceConfig: try #require(SharedFiles.url("reference/models/random/\(folder)/config.json")))
            #expect(c.layoutID == layout, "\(folder)")
            #expect(c.bosTokenID == 1 && c.eosTokenID == 2 && c.contextLength == 256)
        }
    }

    /// GGUF metadata with TheBloke-era gaps: no rope base, no alignment, u32 integers; and bad values.
    @Test func fromGGUFMetadata() throws {
        let files = try TemporaryFiles.makeDirectory(prefix: "claire-ggufconfig")
        defer { TemporaryFiles.remove(files) }
        func gguf(_ entries: [(String, GGUFValue)], tensors: [(String, [Int])] = []) throws -> GGUFFile {
            var writer = try GGUFWriter()
            for (key, value) in entries { writer.set(key, value) }
            for (name, shape) in tensors {
                try writer.addTensor(name: name, type: .f32, shape: shape, data: Data(count: 4 * shape.reduce(1, *)))
            }
            let directory = files.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("m.gguf").path
            try writer.write(to: path)
            return try GGUFFile(path: path)
        }
        let old: [(String, GGUFValue)] = [
            ("general.architecture", .string("falcon")), ("falcon.embedding_length", .uint32(64)),
            ("falcon.attention.head_count", .uint32(4)), ("falcon.attention.head_count_kv", .uint32(1)),
            ("falcon.block_count", .uint32(2)), ("falcon.attention.layer_norm_epsilon", .float32(1e-5)),
        ]
        let c = try FalconConfig(gguf: gguf(old, tensors: [("token_embd.weight", [100, 64]), ("output.weight", [100, 64])]))
        #expect(c.vocabularySize == 100 && c.feedForwardSize == 256 && c.ropeTheta == 10_000 && c.contextLength == 2048)
        #expect(c.kvHeadCount == 1 && c.tiedEmbeddings == false && c.layoutID == "mqa-parallel")
        let grouped = try FalconConfig(gguf: gguf(old + [("falcon.attention.head_count_kv", .uint64(2)), ("falcon.vocab_size", .int32(50))],
                                                   tensors: [("blk.0.attn_norm_2.weight", [64])]))
        #expect(grouped.kvHeadCount == 2 && grouped.newDecoderArchitecture && grouped.layerNormsPerLayer == 2 && grouped.tiedEmbeddings == true)

        func message(_ entries: [(String, GGUFValue)]) -> String {
            do { _ = try FalconConfig(gguf: gguf(entries)); return "no error" } catch { return "\(error)" }
        }
        #expect(message([("general.architecture", .string("llama"))]).contains("architecture \"llama\" is not falcon"))
        #expect(message(Array(old.dropFirst(1)) + [("general.architecture", .string("falcon")), ("falcon.embedding_length", .string("64"))])
            .contains("falcon.embedding_length must be an integer"))
        #expect(message(old + [("falcon.embedding_length", .uint64(UInt64.max))]).contains("must be an integer"))
        #expect(message(old + [("falcon.vocab_size", .uint32(8)), ("falcon.rope.dimension_count", .uint32(8))]).contains("partial rotary"))
        #expect(message(old + [("falcon.vocab_size", .uint32(8)), ("falcon.attention.head_count_kv", .uint32(3))]).contains("cannot be grouped"))
        #expect(message(old.filter { $0.0 != "falcon.block_count" } + [("falcon.vocab_size", .uint32(8))]).contains("missing integer falcon.block_count"))
    }
}

/// `OpenedModel.open` on every shape of --model PATH.
struct ModelOpeningTests {
    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
    func ggufFolders() throws {
        let source = try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.Q8_0.gguf"))
        let one = try TemporaryFiles.makeDirectory(prefix: "claire-open")
        defer { TemporaryFiles.remove(one) }
        try FileManager.default.copyItem(at: source, to: one.appendingPathComponent("model.gguf"))
        let opened = try OpenedModel.open(path: one.path)
        #expect(opened.format == .gguf && opened.files == [one.appendingPathComponent("model.gguf").path])
        #expect(opened.tokenizer == nil && !opened.hasOutputMatrix && opened.outputMatrixName == "output.weight")
        #expect(opened.totalBytes == 164096)
        try FileManager.default.copyItem(at: source, to: one.appendingPathComponent("other.gguf"))
        #expect(throws: ModelFileError(one.path, "several .gguf files here (model.gguf, other.gguf); name one")) {
            try OpenedModel.open(path: one.path)
        }
        let empty = try TemporaryFiles.makeDirectory(prefix: "claire-open")
        defer { TemporaryFiles.remove(empty) }
        #expect(throws: ModelFileError(empty.path, "no config.json and no .gguf file in this directory")) {
            try OpenedModel.open(path: empty.path)
        }
        let notGGUF = one.appendingPathComponent("weights.bin")
        try Data(count: 8).write(to: notGGUF)
        #expect(throws: ModelFileError.self) { try OpenedModel.open(path: notGGUF.path) }
    }

    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
    func huggingFaceFolders() throws {
        let claire = try OpenedModel.open(path: try #require(SharedFiles.url("reference/models/claire-tiny-fr")).path)
        #expect(claire.format == .huggingFace && claire.files.count == 2 && !claire.hasOutputMatrix)
        #expect(claire.embeddingName == "transformer.word_embeddings.weight")
        #expect(claire.tensors.parameterCount == 20_778_496, "the index's total_parameters")
        #expect(claire.tensors.tensorCountsByType == [.bf16: 39])
        #expect(claire.totalBytes == 41_561_352)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: try #require(SharedFiles.url("reference/models/claire-tiny-fr/model.safetensors.index.json")))) as? [String: Any]
        let map = try #require(index?["weight_map"] as? [String: String])
        #expect(Set(claire.tensors.tensorInfos.map(\.name)) == Set(map.keys))
        #expect(throws: ModelFileError.self) { try claire.tensors.requireTensor(named: "lm_head.weight") }
    }
}
