import ArgumentParser
import Engine
import Foundation
import Tokenization

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Score a text file: perplexity in windows of --ctx tokens (the project's reference protocol).",
        discussion: """
            The file is split into documents on "\\n<|endoftext|>\\n"; each document is encoded and followed by \
            <|endoftext|>. Windows of --ctx tokens start every --ctx tokens; each predicts its own next tokens.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The UTF-8 text to score.")
    var file: String

    @Option(help: "Window length in tokens.")
    var ctx = 1024

    @Option(help: "Score only the first N tokens of the corpus.")
    var maxTokens: Int?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if ctx < 2 { throw ValidationError("--ctx must be at least 2") }
        if let maxTokens, maxTokens < 2 { throw ValidationError("--max-tokens must be at least 2") }
    }

    func run() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        if let offset = UTF8Validation.firstInvalidByteOffset([UInt8](data)) {
            throw TokenizerError.invalidUTF8(source: file, byteOffset: offset)
        }
        let model = try modelOptions.load()
        let tokenizer = try model.opened.requireTokenizer()
        let ids = Perplexity.corpusIDs(String(decoding: data, as: UTF8.self), tokenizer: tokenizer)
        let progress = ProgressLine(label: "perplexity")
        let started = Date()
        let result = try Perplexity.evaluate(model: model, ids: ids, context: ctx, maximumTokens: maxTokens) { done, total in
            progress.update(done: done, total: total, unit: "tokens")
        }
        progress.finish()
        if json {
            Console.out(try JSONText.line(["perplexity": result.perplexity, "tokens": result.tokens, "ctx": result.context]))
        } else {
            Console.out(String(format: "perplexity %.4f over %d tokens (ctx %d)\n", result.perplexity, result.tokens, result.context))
        }
        Console.error(String(format: "[%.1f s]", Date().timeIntervalSince(started)))
        Console.flush()
    }
}
