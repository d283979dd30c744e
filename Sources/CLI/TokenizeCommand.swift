import ArgumentParser
import Foundation
import Tokenization

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode stdin with the Falcon tokenizer and print the token ids.",
        discussion: """
            Without --jsonl, all of stdin is one text and its ids are printed separated by spaces. \
            With --jsonl, each stdin line is a JSON object {"text": …} and each output line is {"ids": [...]} \
            (or {"count": n} with --count), in the same order.
            """
    )

    @OptionGroup var source: TokenizerSourceOptions

    @Flag(help: "Read JSON lines {\"text\": …} and write {\"ids\": [...]} lines.")
    var jsonl = false

    @Flag(help: "Print only the number of tokens.")
    var count = false

    func run() throws {
        let tokenizer = try source.loadTokenizer()
        let input = FileHandle.standardInput.readDataToEndOfFile()
        if let offset = UTF8Validation.firstInvalidByteOffset([UInt8](input)) {
            throw TokenizerError.invalidUTF8(source: "stdin", byteOffset: offset)
        }
        if jsonl {
            try encodeLines(input, with: tokenizer)
        } else {
            let ids = tokenizer.encode(String(decoding: input, as: UTF8.self))
            Console.out(count ? "\(ids.count)\n" : ids.map(String.init).joined(separator: " ") + "\n")
        }
        Console.flush()
    }

    private func encodeLines(_ input: Data, with tokenizer: FalconTokenizer) throws {
        var lineNumber = 0
        for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let text: String?
            do {
                text = try JSONTextLine.text(of: Array(line))
            } catch {
                throw CLIError("stdin:\(lineNumber): byte \(error.offset + 1): \(error.message)")
            }
            guard let text else { throw CLIError("stdin:\(lineNumber): expected a JSON object with a string \"text\"") }
            let ids = tokenizer.encode(text)
            Console.out(count ? "{\"count\":\(ids.count)}\n" : "{\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}\n")
        }
    }
}

/// `--tokenizer PATH` or `--model PATH`, shared by the commands that only need the tokenizer.
struct TokenizerSourceOptions: ParsableArguments {
    @Option(help: "A tokenizer.json, a model directory holding one, or a .gguf file.")
    var tokenizer: String?

    @Option(help: "A model (directory or .gguf); its tokenizer is used.")
    var model: String?

    func validate() throws {
        if (tokenizer == nil) == (model == nil) {
            throw ValidationError("give exactly one of --tokenizer PATH or --model PATH")
        }
    }

    func loadTokenizer() throws -> FalconTokenizer {
        try TokenizerLocator.load(path: tokenizer ?? model!)
    }
}
