import Foundation
import Testing
import TestSupport

/// The `tokenize` command as a user runs it: the real binary, real stdin and stdout.
struct TokenizeCommandTests {
    static let tokenizerPath = SharedFiles.repository("Tests/TokenizationTests/Fixtures/tokenizer.json").path

    private func run(_ arguments: [String], stdin: String) throws -> Executables.Result {
        try run(arguments, stdin: Data(stdin.utf8))
    }

    private func run(_ arguments: [String], stdin: Data) throws -> Executables.Result {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        return try Executables.run(binary, ["tokenize"] + arguments, stdin: stdin)
    }

    @Test func jsonLinesInJsonLinesOut() throws {
        let input = """
            {"text": "[Intervenant 1:] Bonjour à tous, merci d’être venus."}
            {"text": "<|endoftext|>"}
            {"text": ""}

            """
        let result = try run(["--tokenizer", Self.tokenizerPath, "--jsonl"], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == """
            {"ids":[70,6909,22122,204,28,37324,7321,15874,1358,10458,23,47314,265,329,12108,5737,359,25]}
            {"ids":[11]}
            {"ids":[]}

            """)
    }

    @Test func plainModeAndCount() throws {
        let ids = try run(["--tokenizer", Self.tokenizerPath], stdin: "Bonjour 12345")
        #expect(ids.status == 0)
        #expect(ids.stdoutText == "44984 204 10963 2617\n")
        let count = try run(["--tokenizer", Self.tokenizerPath, "--count"], stdin: "Bonjour 12345")
        #expect(count.stdoutText == "4\n")
        let jsonCount = try run(["--tokenizer", Self.tokenizerPath, "--jsonl", "--count"], stdin: "{\"text\":\"Bonjour\"}\n")
        #expect(jsonCount.stdoutText == "{\"count\":1}\n")
    }

    @Test func ggufVocabularyGivesTheSameIds() throws {
        let gguf = SharedFiles.repository("Tests/TokenizationTests/Fixtures/ggml-vocab-falcon.gguf").path
        let text = "[Intervenant 2:] Ah oui ? Et c’était en 1998, à 12 h 30. <|endoftext|>"
        let fromJSON = try run(["--tokenizer", Self.tokenizerPath], stdin: text)
        let fromGGUF = try run(["--tokenizer", gguf], stdin: text)
        #expect(fromGGUF.status == 0, "\(fromGGUF.stderr)")
        #expect(fromGGUF.stdoutText == fromJSON.stdoutText)
    }

    @Test func invalidUTF8NamesTheByteOffset() throws {
        let result = try run(["--tokenizer", Self.tokenizerPath], stdin: Data([0x61, 0x62, 0xC3, 0x28, 0x63]))
        #expect(result.status != 0)
        #expect(result.stderr == "error: stdin: invalid UTF-8 at byte offset 2\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func badJsonLineNamesTheLine() throws {
        let result = try run(["--tokenizer", Self.tokenizerPath, "--jsonl"], stdin: "{\"text\":\"a\"}\n{\"txt\":1}\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains("stdin:2:"))
    }

    @Test func missingTokenizerIsOneLineError() throws {
        let result = try run(["--tokenizer", "/nonexistent/tokenizer.json"], stdin: "x")
        #expect(result.status != 0)
        #expect(result.stderr == "error: /nonexistent/tokenizer.json: no such file or directory\n")
    }
}
