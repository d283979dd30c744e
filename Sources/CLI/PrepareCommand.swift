import ArgumentParser
import Foundation
import Tokenization
import Transcripts

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Read transcripts, normalize them like Claire's training data and cut them into token windows.",
        discussion: """
            Formats are detected from content (--format forces one). Without --json the normalized dialogue goes to \
            stdout with a separator line before each window; --json prints one object per file as a JSON line. \
            A file that cannot be read is reported on stderr and the others still run; the exit status is then 1. \
            The Falcon tokenizer counts the windows: --tokenizer takes a tokenizer.json, a model directory or a \
            .gguf file; by default the bundled sample model's is used.
            """
    )

    @Argument(help: "Transcript files (or Kaldi data directories).")
    var files: [String]

    @Option(help: "The reader to use; auto detects it from the content.")
    var format: FormatChoice = .auto

    @Option(help: "Speaker tags.")
    var speakers: NormalizationOptions.SpeakerTags = .named

    @Option(help: "Casing.")
    var casing: NormalizationOptions.Casing = .keep

    @Option(help: "Bracketed events ([rire], [bruit]).")
    var events: NormalizationOptions.Events = .drop

    @Option(help: "Window size in tokens.")
    var window = 2048

    @Option(help: "Tokens left free in each window for what the model writes.")
    var reserve = 200

    @Option(help: "Turns repeated at the start of the next window.")
    var overlapTurns = 1

    @Option(help: "The Falcon tokenizer (tokenizer.json, model directory or .gguf).")
    var tokenizer: String?

    @Flag(help: "One JSON object per file (JSON lines).")
    var json = false

    static let bundledTokenizer = "Samples/models/claire-tiny-fr.Q8_0.gguf"

    /// The bundled model beside the current directory, or beside the checkout the executable was built in
    /// (`.build/release/claire-pipeline` → the repository root).
    static func locateBundledTokenizer() -> String? {
        if FileManager.default.fileExists(atPath: bundledTokenizer) { return bundledTokenizer }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(bundledTokenizer).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    func options() throws -> (TranscriptFormat?, NormalizationOptions, WindowOptions) {
        guard window > 0, reserve >= 0, reserve < window else { throw ValidationError("--window must be positive and --reserve smaller than it") }
        guard overlapTurns >= 0 else { throw ValidationError("--overlap-turns must be 0 or more") }
        return (format.forcedFormat, NormalizationOptions(speakers: speakers, casing: casing, events: events), WindowOptions(window: window, reserve: reserve, overlapTurns: overlapTurns))
    }

    func run() throws {
        let (forced, normalization, windowing) = try options()
        let path = tokenizer ?? Self.locateBundledTokenizer() ?? Self.bundledTokenizer
        guard tokenizer != nil || FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no --tokenizer given and the bundled \(Self.bundledTokenizer) is not in the current directory; pass --tokenizer PATH (a tokenizer.json, a model directory or a .gguf)")
        }
        let falcon = try TokenizerLocator.load(path: path)
        let preparer = TranscriptPreparation(normalization: normalization, windows: windowing, tokenizer: falcon)
        var failures = 0
        // A companion named with its transcript (`prepare dir/*`) is read with it, not on its own.
        let companions = files.count > 1 ? TranscriptInputs.companionPaths(among: files) : []
        for file in files where !companions.contains(file) {
            do {
                let prepared = try preparer.prepare(path: file, format: forced)
                if json {
                    Console.out(try JSONText.line(prepared.jsonObject()))
                } else {
                    for note in prepared.dialogue.notes { Console.error("note: \(file): \(note)") }
                    for (index, window) in prepared.windows.enumerated() {
                        Console.out("──── \(file) · window \(index + 1)/\(prepared.windows.count) · \(window.tokens) tokens · turns \(window.firstTurn + 1)–\(window.lastTurn + 1) ────\n")
                        Console.out(window.text + "\n")
                    }
                }
            } catch {
                failures += 1
                Console.error("error: \(Console.describe(error))")
            }
            Console.flush()
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
