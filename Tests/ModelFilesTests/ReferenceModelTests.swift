import Foundation
import Kernels
import Testing
import TestSupport
import Tokenization
@testable import ModelFiles

/// The real files in ../shared/reference: every random layout, claire-tiny-fr and llama.cpp's GGUFs.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
struct ReferenceModelTests {
    static let layouts = ["falcon7b-mqa-parallel", "falcon40b-gqa-newdecoder", "falcon-mha-parallel", "falconrw-alibi-sequential"]

    @Test(arguments: layouts)
    func randomModelsOpen(layout: String) throws {
        let model = try OpenedModel.open(path: try #require(SharedFiles.url("reference/models/random/\(layout)")).path)
        let config = model.config
        #expect(config.hiddenSize == 64 && config.headCount == 4 && config.layerCount == 2 && config.vocabularySize == 1024)
        #expect(config.feedForwardSize == 256)
        switch layout {
        case "falcon7b-mqa-parallel":
            #expect(config.kvHeadCount == 1 && !config.newDecoderArchitecture && config.parallelAttention)
        case "falcon40b-gqa-newdecoder":
            #expect(config.kvHeadCount == 2 && config.newDecoderArchitecture && config.layerNormsPerLayer == 2)
        case "falcon-mha-parallel":
            #expect(config.kvHeadCount == 4 && !config.newDecoderArchitecture)
        default:
            #expect(config.alibi && config.bias && !config.parallelAttention && config.kvHeadCount == 4)
        }
        let qkv = try #require(model.tensors.tensor(named: "transformer.h.0.self_attention.query_key_value.weight"))
        #expect(qkv.info.type == .f32)
        #expect(qkv.info.shape == [(config.headCount + 2 * config.kvHeadCount) * config.headDimension, 64])
        #expect(qkv.bytes.count == qkv.info.elementCount * 4)
        #expect(model.tensors.tensor(named: "lm_head.weight") == nil, "tied embeddings are not stored")
    }

    @Test func claireTinyIsShardedBF16AndMultiQuery() throws {
        let model = try OpenedModel.open(path: try #require(SharedFiles.url("reference/models/claire-tiny-fr")).path)
        #expect(model.files.count == 2)
        #expect(model.config.kvHeadCount == 1, "num_kv_heads 4 with multi_query true means 1 KV head")
        #expect(model.config.hiddenSize == 256 && model.config.layerCount == 6 && model.config.feedForwardSize == 1024)
        #expect(model.config.ropeTheta == 10_000)
        let embedding = try #require(model.tensors.tensor(named: "transformer.word_embeddings.weight"))
        #expect(embedding.info.type == .bf16 && embedding.info.shape == [65024, 256])
        #expect(try model.requireTokenizer().encode("Bonjour") == [44984])
    }

    @Test func configAliasesAndKVRule() throws {
        let old: [String: Any] = ["model_type": "RefinedWebModel", "n_embed": 4544, "n_head": 71, "n_layer": 32,
                                  "multi_query": true, "vocab_size": 65024]
        let sevenB = try FalconConfig(huggingFaceJSON: old, path: "config.json")
        #expect(sevenB.hiddenSize == 4544 && sevenB.kvHeadCount == 1 && sevenB.feedForwardSize == 18176 && sevenB.headDimension == 64)
        let fortyB: [String: Any] = ["model_type": "RefinedWeb", "n_embed": 8192, "n_head": 128, "n_layer": 60, "n_head_kv": 8,
                                     "rope_parameters": ["rope_theta": 500000.0]]
        let big = try FalconConfig(huggingFaceJSON: fortyB, path: "config.json")
        #expect(big.newDecoderArchitecture && big.kvHeadCount == 8 && big.ropeTheta == 500_000 && big.layerNormsPerLayer == 2)
        let gptq: [String: Any] = ["hidden_size": 4544, "num_attention_heads": 71, "num_hidden_layers": 32, "num_kv_heads": 71,
                                   "multi_query": true, "new_decoder_architecture": false]
        #expect(try FalconConfig(huggingFaceJSON: gptq, path: "config.json").kvHeadCount == 1)
        #expect(throws: ModelFileError.self) {
            try FalconConfig(huggingFaceJSON: ["model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1], path: "c.json")
        }
        #expect(throws: ModelFileError.self) {
            try FalconConfig(huggingFaceJSON: ["hidden_size": 10, "num_attention_heads": 3, "num_hidden_layers": 1], path: "c.json")
        }
    }

    @Test(arguments: ["F32", "F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"])
    func randomGGUFs(type: String) throws {
        let gguf = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.\(type).gguf")).path)
        let config = try FalconConfig(gguf: gguf)
        #expect(config.hiddenSize == 64 && config.headCount == 4 && config.kvHeadCount == 1 && config.layerCount == 2)
        #expect(config.vocabularySize == 1024 && config.feedForwardSize == 256 && config.contextLength == 256)
        let qkv = try #require(gguf.tensor(named: "blk.0.attn_qkv.weight"))
        #expect(qkv.info.shape == [96, 64], "innermost-first ne [64, 96] reversed")
        #expect(qkv.info.type.description == (type == "F32" ? "F32" : type == "F16" ? "F16" : type))
        #expect(gguf.tensor(named: "token_embd.weight")?.info.type == (type == "F32" ? .f32 : type == "F16" ? .f16 : .q8_0))
    }

    @Test(arguments: ["Q8_0", "Q4_0", "Q4_K_M", "Q5_K_M", "Q2_K"])
    func claireGGUFs(name: String) throws {
        let model = try OpenedModel.open(path: try #require(SharedFiles.url("reference/gguf/claire-tiny-fr.\(name).gguf")).path)
        #expect(model.config.kvHeadCount == 1 && model.config.hiddenSize == 256 && model.config.layerCount == 6)
        let types = Set(model.tensors.tensorInfos.map(\.type))
        let expected: Set<TensorType> = switch name {
            case "Q8_0": [.f32, .q8_0]
            case "Q4_0": [.f32, .q8_0, .q4_0]
            case "Q4_K_M": [.f32, .q8_0, .q4_K, .q5_K]
            case "Q5_K_M": [.f32, .q8_0, .q5_K, .q6_K]
            default: [.f32, .q8_0, .q2_K, .q3_K]
        }
        #expect(types == expected)
        #expect(try model.requireTokenizer().encode("[Intervenant 1:] Bonjour") == [70, 6909, 22122, 204, 28, 37324, 7321, 15874])
    }
}
