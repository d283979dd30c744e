import Foundation
import Testing
import TestSupport
import Tokenization
@testable import Engine

/// Every quantized claire-tiny-fr file llama.cpp's quantizer wrote, against llama.cpp's own figures on it:
/// perplexity under the reference protocol within 1 % and the same top-1 token at every recorded prompt.
/// (llama.cpp computes GELU with tanh and keeps the KV cache in f16; we stay exact, so small differences
/// are expected, large ones are bugs.)
@Suite(.enabled(if: SharedFiles.url("reference/gguf/llama-cpp-reference.json") != nil, "needs ../shared/reference/gguf"))
struct QuantizedGGUFTests {
    struct Reference: Decodable {
        struct File: Decodable {
            struct Perplexity: Decodable { var perplexity: Double; var tokens: Int; var ctx: Int }
            struct Prompt: Decodable { var top_ids: [Int32]; var top_logits: [Double]; var greedy_ids: [Int32]; var greedy_top1_margins: [Double] }
            var in_this_folder: Bool
            var perplexity_first_16384: Perplexity
            var prompts: [String: Prompt]
        }
        var files: [String: File]
    }

    static let reference: Reference? = {
        guard let url = SharedFiles.url("reference/gguf/llama-cpp-reference.json") else { return nil }
        return try? JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    static let corpusIDs: [Int32]? = {
        guard let corpus = SharedFiles.url("reference/corpus/fredracor-test.txt"),
              let tokenizerURL = SharedFiles.url("reference/tokenizer/falcon/tokenizer.json"),
              let text = try? String(contentsOf: corpus, encoding: .utf8),
              let tokenizer = try? FalconTokenizer(contentsOf: tokenizerURL) else { return nil }
        return Perplexity.corpusIDs(String(text.prefix(200_000)), tokenizer: tokenizer)
    }()

    static let files = ["Q8_0", "Q4_0", "Q4_K_M", "Q5_K_M", "Q2_K"]

    @Test(arguments: files)
    func perplexityAndTopTokensAgreeWithLlamaCpp(_ type: String) throws {
        let name = "claire-tiny-fr.\(type).gguf"
        let expected = try #require(Self.reference?.files[name])
        #expect(expected.in_this_folder)
        let path = try #require(SharedFiles.url("reference/gguf/\(name)")).path
        let model = try FalconModel(path: path, threads: 2)

        let ids = try #require(Self.corpusIDs)
        let result = try Perplexity.evaluate(model: model, ids: ids, context: 1024, maximumTokens: expected.perplexity_first_16384.tokens)
        let ratio = result.perplexity / expected.perplexity_first_16384.perplexity
        print("\(type): perplexity \(result.perplexity), llama.cpp \(expected.perplexity_first_16384.perplexity), ratio \(ratio)")
        #expect(result.tokens == 16384)
        #expect(abs(ratio - 1) <= 0.01)

        let prompts = try #require(ClaireTinyTests.fixture).prompts
        for prompt in prompts {
            let theirs = try #require(expected.prompts[prompt.name])
            let logits = try model.makeSession().append(prompt.ids)
            var best = 0
            for i in 1..<logits.count where logits[i] > logits[best] { best = i }
            #expect(Int32(best) == theirs.top_ids[0],
                    "\(type) \(prompt.name): our top-1 \(best), llama.cpp's \(theirs.top_ids[0]) (its margin \(theirs.top_logits[0] - theirs.top_logits[1]))")
        }
    }

    /// Decoding one token at a time (the integer matrix-vector kernels, the KV cache) follows llama.cpp's
    /// greedy continuation up to the first step where llama.cpp's own top-1 margin is below 0.1: closer calls
    /// may flip between two correct engines (tanh vs exact GELU, f16 vs f32 KV cache).
    @Test(arguments: files)
    func greedyDecodingFollowsLlamaCpp(_ type: String) throws {
        let name = "claire-tiny-fr.\(type).gguf"
        let expected = try #require(Self.reference?.files[name])
        let model = try FalconModel(path: try #require(SharedFiles.url("reference/gguf/\(name)")).path, threads: 2)
        let tokenizer = try model.opened.requireTokenizer()
        var compared = 0
        for prompt in try #require(ClaireTinyTests.fixture).prompts {
            let theirs = try #require(expected.prompts[prompt.name])
            let comparable = theirs.greedy_top1_margins.firstIndex { $0 < 0.1 } ?? theirs.greedy_ids.count
            guard comparable > 0 else { continue }
            let result = try Generator(model: model).generate(promptIDs: prompt.ids, parameters: .greedy(maxNewTokens: comparable), tokenizer: tokenizer)
            #expect(Array(result.ids.prefix(comparable)) == Array(theirs.greedy_ids.prefix(comparable)), "\(type) \(prompt.name): first \(comparable) greedy ids")
            compared += comparable
        }
        print("\(type): \(compared) greedy tokens compared with llama.cpp")
        #expect(compared >= 20, "too few comparable steps to mean anything")
    }
}
