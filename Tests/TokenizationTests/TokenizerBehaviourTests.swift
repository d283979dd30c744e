import Foundation
import Testing
import TestSupport
@testable import Tokenization

struct TokenizerBehaviourTests {
    let tokenizer = FixtureFiles.tokenizer.value

    /// The heap merger (long pieces) and the rescanning merger (the reference) agree on every piece.
    @Test func longPieceMergerAgreesWithReference() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzéèàçôûœ".utf8) + Array("ququeoisent".utf8)
        let encoder = tokenizerEncoder()
        for length in [1, 2, 3, 7, 20, 95, 96, 97, 300, 2000] {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
                var short: [Int32] = []
                var long: [Int32] = []
                bytes.withUnsafeBufferPointer {
                    encoder.encodeShort($0, into: &short)
                    encoder.encodeLong($0, into: &long)
                }
                #expect(short == long, "piece of \(length) bytes")
            }
        }
    }

    private func tokenizerEncoder() -> BytePairEncoder {
        Mirror(reflecting: tokenizer).children.first { $0.label == "encoder" }!.value as! BytePairEncoder
    }

    /// A megabyte without a single space is one pre-token; it must still encode in bounded time and decode back.
    @Test func megabyteWordEncodesAndRoundTrips() {
        let text = String(repeating: "anticonstitutionnellement", count: 40_000)
        let ids = tokenizer.encode(text)
        #expect(!ids.isEmpty)
        #expect(tokenizer.decode(ids) == text)
    }

    /// Encoding the same text again (served from the word cache) and after the cache was emptied agree.
    @Test func cacheDoesNotChangeResults() throws {
        let text = "[Intervenant 1:] Euh… je pense qu’on peut d’abord faire le point sur le budget de 12345 €."
        let first = tokenizer.encode(text)
        let second = tokenizer.encode(text)
        let fresh = try FalconTokenizer(contentsOf: FixtureFiles.url("tokenizer.json")).encode(text)
        #expect(first == second)
        #expect(first == fresh)
    }

    @Test func specialTokensWrittenInTextAreMatched() {
        #expect(tokenizer.encode("<|endoftext|>") == [11])
        #expect(tokenizer.encode(">>TITLE<<Bonjour>>ABSTRACT<<").first == 0)
        #expect(tokenizer.encode(">>TITLE<<Bonjour>>ABSTRACT<<").last == 1)
        #expect(tokenizer.endOfTextID == 11)
        #expect(tokenizer.decode([11, 44984]) == "Bonjour")
        #expect(tokenizer.decode([11, 44984], skipSpecialTokens: false) == "<|endoftext|>Bonjour")
    }

    @Test func streamingDecoderHoldsSplitCharacters() {
        // "é" is C3 A9; feed it through a tokenizer whose tokens cut it in two.
        let ids = tokenizer.encode("Führer où")  // `Ã` `¼` and `Ã` `¹` are separate tokens
        var stream = tokenizer.makeStreamingDecoder()
        var pieces: [String] = []
        for id in ids { pieces.append(stream.append(id)) }
        pieces.append(stream.finish())
        #expect(pieces.joined() == "Führer où")
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
    }

    @Test func invalidUTF8OffsetsAreReported() {
        #expect(UTF8Validation.firstInvalidByteOffset(Array("abc".utf8)) == nil)
        #expect(UTF8Validation.firstInvalidByteOffset([0x61, 0xFF, 0x62]) == 1)
        #expect(UTF8Validation.firstInvalidByteOffset([0x61, 0x62, 0xC3]) == 2)  // truncated at the end
        #expect(UTF8Validation.firstInvalidByteOffset([0xE0, 0x80, 0x80]) == 0)  // overlong
        #expect(UTF8Validation.firstInvalidByteOffset([0xED, 0xA0, 0x80]) == 0)  // surrogate
        #expect(UTF8Validation.firstInvalidByteOffset(Array("héllo wörld €𝄞".utf8)) == nil)
    }

    /// claire-tiny-fr's tokenizer.json was re-saved by a newer `tokenizers`: merges as ["a", "b"] pairs and
    /// extra model keys. It must load and encode exactly like the original.
    @Test(.enabled(if: SharedFiles.url("reference/models/claire-tiny-fr/tokenizer.json") != nil,
                   "needs ../shared/reference/models/claire-tiny-fr"))
    func pairMergesLoadTheSameTokenizer() throws {
        let resaved = try FalconTokenizer(contentsOf: #require(SharedFiles.url("reference/models/claire-tiny-fr/tokenizer.json")))
        for record in GoldenEncodingTests.records {
            #expect(resaved.encode(record.text) == record.ids)
        }
    }

    @Test func pairMergesSpellingIsAccepted() throws {
        let json = """
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "<|endoftext|>": 3}, "merges": [["a", "b"]]},
             "added_tokens": [{"id": 3, "content": "<|endoftext|>", "special": true}],
             "normalizer": null, "decoder": {"type": "ByteLevel"},
             "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Punctuation"}, {"type": "ByteLevel"},
               {"type": "Digits"}, {"type": "Split"}]}}
            """
        let small = try FalconTokenizer(tokenizerJSON: Data(json.utf8), source: "inline.json")
        #expect(small.encode("abab<|endoftext|>") == [2, 2, 3])
    }

    @Test func foreignTokenizersAreRefusedWithTheFileName() {
        let json = #"{"model": {"type": "WordPiece", "vocab": {}}}"#
        #expect(throws: TokenizerError.self) { try FalconTokenizer(tokenizerJSON: Data(json.utf8), source: "bert.json") }
        do {
            _ = try FalconTokenizer(tokenizerJSON: Data("{not json".utf8), source: "broken.json")
            Issue.record("malformed JSON was accepted")
        } catch {
            #expect("\(error)".hasPrefix("broken.json: "))
        }
    }
}
