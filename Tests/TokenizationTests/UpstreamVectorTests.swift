import Foundation
import Testing
@testable import Tokenization

/// llama.cpp's Falcon test vectors and Hugging Face swift-transformers' own Falcon vector.
struct UpstreamVectorTests {
    @Test func llamaCppVectors() throws {
        let inputs = try String(contentsOf: FixtureFiles.url("ggml-vocab-falcon.gguf.inp"), encoding: .utf8)
            .components(separatedBy: "\n__ggml_vocab_test__\n")
        let outputs = try String(contentsOf: FixtureFiles.url("ggml-vocab-falcon.gguf.out"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        // The input file ends with a separator, which leaves one empty trailing element.
        let cases = Array(inputs.dropLast())
        #expect(cases.count == 46)
        let tokenizer = FixtureFiles.tokenizer.value
        for (index, text) in cases.enumerated() {
            let expected = outputs[index].split(separator: " ").map { Int32($0)! }
            #expect(tokenizer.encode(text) == expected, "llama.cpp vector #\(index): \(text.debugDescription)")
        }
    }

    @Test func swiftTransformersVector() throws {
        struct Vector: Decodable {
            var text: String
            var bpe_tokens: [String]
            var token_ids: [Int32]
            var decoded_text: String
        }
        let vector = try JSONDecoder().decode(Vector.self, from: Data(contentsOf: FixtureFiles.url("falcon_encoded.json")))
        let tokenizer = FixtureFiles.tokenizer.value
        let ids = tokenizer.encode(vector.text)
        #expect(ids == vector.token_ids)
        #expect(ids.map { tokenizer.spelling(of: $0)! } == vector.bpe_tokens)
        #expect(tokenizer.decode(ids) == vector.decoded_text)
    }
}
