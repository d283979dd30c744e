import Foundation
import Testing
import TestSupport
import Tokenization
@testable import ModelFiles

/// llama.cpp's Falcon vocabulary file carries the same tokenizer as tokenizer.json: loading it from GGUF
/// metadata must give identical encodings.
struct GGUFTokenizerTests {
    static let fixtures = SharedFiles.repository("Tests/TokenizationTests/Fixtures")

    @Test func vocabularyGGUFEncodesLikeTokenizerJSON() throws {
        let gguf = try GGUFFile(path: Self.fixtures.appendingPathComponent("ggml-vocab-falcon.gguf").path)
        #expect(gguf.metadata["tokenizer.ggml.tokens"]?.array?.count == 65024)
        #expect(gguf.metadata["tokenizer.ggml.merges"]?.array?.count == 64784)
        let fromGGUF = try FalconTokenizer(gguf: gguf)
        let fromJSON = try FalconTokenizer(contentsOf: Self.fixtures.appendingPathComponent("tokenizer.json"))
        let golden = try String(contentsOf: Self.fixtures.appendingPathComponent("golden.jsonl"), encoding: .utf8)
        var compared = 0
        for line in golden.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let text = try #require(record["text"] as? String)
            let ids = fromGGUF.encode(text)
            #expect(ids == fromJSON.encode(text))
            #expect(fromGGUF.decode(ids, skipSpecialTokens: false) == fromJSON.decode(ids, skipSpecialTokens: false))
            compared += 1
        }
        #expect(compared == 524)
    }
}
