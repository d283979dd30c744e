import Foundation
import Testing
import TestSupport
import Tokenization

/// `tokenize --jsonl` hands every line's text to the tokenizer byte for byte: each Unicode format character
/// (category Cf: U+00AD, U+200B…U+200F, U+2060…U+2064, U+FEFF…), raw or `\u`-escaped, alone, first, inside
/// and last in a string, gives the ids the tokenizer gives the same text directly. The tokenizer itself is
/// checked against Hugging Face's golden encodings (TokenizationTests); three of them are re-checked here.
struct TokenizeFormatCharacterTests {
    static let tokenizerPath = SharedFiles.repository("Tests/TokenizationTests/Fixtures/tokenizer.json").path

    static let formatCharacters: [Unicode.Scalar] = (0...0xE007F).compactMap { value in
        guard let scalar = Unicode.Scalar(value), scalar.properties.generalCategory == .format else { return nil }
        return scalar
    }

    static func escaped(_ scalar: Unicode.Scalar) -> String {
        String(scalar).utf16.map { String(format: "\\u%04x", $0) }.joined()
    }

    @Test func everyFormatCharacterReachesTheTokenizer() throws {
        #expect(Self.formatCharacters.count > 150)
        #expect(Self.formatCharacters.contains("\u{FEFF}") && Self.formatCharacters.contains("\u{AD}") && Self.formatCharacters.contains("\u{2060}"))
        let tokenizer = try FalconTokenizer(contentsOf: URL(fileURLWithPath: Self.tokenizerPath))
        var input = "", expected = ""
        for scalar in Self.formatCharacters {
            let c = String(scalar)
            for (raw, escaped) in [(c, Self.escaped(scalar))] {
                for (text, json) in [(raw, escaped), ("\(raw)a", "\(escaped)a"), ("a\(raw)b", "a\(escaped)b"), ("a\(raw)", "a\(escaped)")] {
                    let ids = "{\"ids\":[" + tokenizer.encode(text).map(String.init).joined(separator: ",") + "]}\n"
                    input += "{\"text\": \"\(text)\"}\n{\"text\": \"\(json)\"}\n"
                    expected += ids + ids
                }
            }
        }
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        let result = try Executables.run(binary, ["tokenize", "--tokenizer", Self.tokenizerPath, "--jsonl"], stdin: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let got = result.stdoutText.split(separator: "\n"), want = expected.split(separator: "\n")
        #expect(got.count == want.count)
        for (index, (g, w)) in zip(got, want).enumerated() where g != w {
            Issue.record("line \(index + 1) (U+\(String(Self.formatCharacters[index / 8].value, radix: 16, uppercase: true))): \(g), expected \(w)")
        }
    }

    /// Hugging Face `tokenizers` (golden.jsonl, and U+FEFF alone → 27866).
    @Test func goldenFormatCharacterEncodings() throws {
        let input = "{\"text\": \"\u{FEFF}\"}\n{\"text\": \"\\ufeff\"}\n{\"text\": \"\u{FEFF}Bonjour\"}\n{\"text\": \"\u{200B}\"}\n{\"text\": \"a\u{200B}b\"}\n"
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        let result = try Executables.run(binary, ["tokenize", "--tokenizer", Self.tokenizerPath, "--jsonl"], stdin: Data(input.utf8))
        #expect(result.stdoutText == """
            {"ids":[27866]}
            {"ids":[27866]}
            {"ids":[27866,44984]}
            {"ids":[283,217]}
            {"ids":[76,283,217,77]}

            """)
    }

    @Test func malformedLinesNameLineAndByte() throws {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        for (line, message) in [("{\"text\": \"a\\x\"}", "stdin:1: byte 13: invalid escape"),
                                ("{\"text\": \"\\ud800\"}", "stdin:1: byte 17: a high surrogate escape without its low surrogate"),
                                ("{\"text\": \"a\"} x", "stdin:1: byte 15: unexpected bytes after the JSON object"),
                                (String(repeating: "[", count: 100_000), "stdin:1: byte 1: expected a JSON object")] {
            let result = try Executables.run(binary, ["tokenize", "--tokenizer", Self.tokenizerPath, "--jsonl"], stdin: Data((line + "\n").utf8))
            #expect(result.status != 0)
            #expect(result.stderr == "error: \(message)\n", "\(line.prefix(40))")
        }
    }
}
