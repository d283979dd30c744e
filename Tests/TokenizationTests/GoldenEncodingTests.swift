import Foundation
import Testing
@testable import Tokenization

/// Every record of golden.jsonl, made by Hugging Face `tokenizers` 0.23.3 from the same tokenizer.json.
struct GoldenEncodingTests {
    struct Record: Decodable {
        var text: String
        var ids: [Int32]
        var tokens: [String]
        var decoded: String
        var decoded_with_special: String
        var category: String
    }

    static let records: [Record] = {
        let data = try! Data(contentsOf: FixtureFiles.url("golden.jsonl"))
        return data.split(separator: UInt8(ascii: "\n")).map { try! JSONDecoder().decode(Record.self, from: Data($0)) }
    }()

    @Test func allRecordsArePresent() {
        #expect(Self.records.count == 524)
    }

    @Test func idsAndTokensMatchHuggingFace() {
        let tokenizer = FixtureFiles.tokenizer.value
        var failures = 0
        for record in Self.records {
            let ids = tokenizer.encode(record.text)
            if ids != record.ids {
                failures += 1
                Issue.record("[\(record.category)] \(record.text.debugDescription): got \(ids), expected \(record.ids)")
                continue
            }
            let spellings = ids.map { tokenizer.spelling(of: $0) ?? "?" }
            #expect(spellings == record.tokens, "[\(record.category)] \(record.text.debugDescription)")
        }
        #expect(failures == 0)
    }

    @Test func decodingMatchesHuggingFace() {
        let tokenizer = FixtureFiles.tokenizer.value
        for record in Self.records {
            #expect(tokenizer.decode(record.ids) == record.decoded, "[\(record.category)] \(record.text.debugDescription)")
            #expect(tokenizer.decode(record.ids, skipSpecialTokens: false) == record.decoded_with_special,
                    "[\(record.category)] \(record.text.debugDescription)")
        }
    }

    @Test func streamingDecodingEqualsBatchDecoding() {
        let tokenizer = FixtureFiles.tokenizer.value
        for record in Self.records {
            for skip in [true, false] {
                var stream = tokenizer.makeStreamingDecoder(skipSpecialTokens: skip)
                var text = ""
                for id in record.ids {
                    let piece = stream.append(id)
                    // A piece never ends inside a character: re-encoding it as UTF-8 loses nothing.
                    #expect(!piece.unicodeScalars.contains("\u{FFFD}") || tokenizer.decode(record.ids, skipSpecialTokens: skip).contains("\u{FFFD}"))
                    text += piece
                }
                text += stream.finish()
                #expect(text == tokenizer.decode(record.ids, skipSpecialTokens: skip), "\(record.text.debugDescription)")
            }
        }
    }
}
