import Foundation
import Testing
import TestSupport
import Tokenization
@testable import Transcripts

/// Reading, normalizing and windowing grow linearly with the input: four times the input may take at most
/// eight times as long (a quadratic step takes sixteen). The two sizes are timed in alternation, five times
/// each, and each keeps its fastest run: the suites beside this one load the two cores in bursts, and a burst
/// that lands on one size's runs only (a median of 5 consecutive runs once read 2.2× too slow for the larger
/// size in CI, a ratio of 10.3 where the quiet machine measures 3.4) must not decide. No absolute time is asserted.
@Suite(.enabled(if: SharedFiles.url("reference/tokenizer/falcon/tokenizer.json") != nil, "needs ../shared/reference/tokenizer"))
struct LinearityTests {
    static let tokenizer: FalconTokenizer? = SharedFiles.url("reference/tokenizer/falcon/tokenizer.json").flatMap { try? FalconTokenizer(contentsOf: $0) }

    /// Seconds of one `prepare` of `path`.
    static func seconds(_ preparation: TranscriptPreparation, _ path: String) throws -> Double {
        let start = ContinuousClock.now
        _ = try preparation.prepare(path: path)
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    static func expectLinear(_ label: String, size: Int, name: String, window: WindowOptions = WindowOptions(),
                             _ make: (Int) -> String) throws {
        let tokenizer = try #require(tokenizer)
        let directory = try TemporaryFiles.makeDirectory(prefix: "claire-linearity")
        defer { TemporaryFiles.remove(directory) }
        let paths = try [size / 4, size, size * 4].map { n in
            let path = directory.appendingPathComponent("\(n)-\(name)").path
            try Data(make(n).utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let preparation = TranscriptPreparation(normalization: NormalizationOptions(), windows: window, tokenizer: tokenizer)
        // A first run warms the tokenizer's caches and the allocator.
        _ = try seconds(preparation, paths[0])
        var small = Double.infinity, large = Double.infinity
        for _ in 0..<5 {
            small = min(small, try seconds(preparation, paths[1]))
            large = min(large, try seconds(preparation, paths[2]))
        }
        let timings = "\(label): \(size) → \(String(format: "%.4f", small)) s, \(size * 4) → \(String(format: "%.4f", large)) s"
        print("linearity \(timings), ratio \(String(format: "%.2f", large / small))")
        #expect(large / small < 8, "\(timings)")
    }

    @Test func oneVeryLongWord() throws {
        try Self.expectLinear("one long word", size: 40_000, name: "word.txt") { "[Intervenant 1:] " + String(repeating: "a", count: $0) }
    }

    @Test func smallWindows() throws {
        try Self.expectLinear("--window 2 --reserve 1", size: 500, name: "small.txt", window: WindowOptions(window: 2, reserve: 1)) { n in
            "[Intervenant 1:] " + (0..<n).map { "mot\($0 % 97)" }.joined(separator: " ")
        }
    }

    @Test func chatLineWithManyOpeningBrackets() throws {
        try Self.expectLinear("CHAT [", size: 10_000, name: "brackets.cha") { n in
            "@Begin\n@Participants:\tCHI Child\n*CHI:\tbonjour " + String(repeating: "[", count: n) + " fin .\n@End\n"
        }
    }

    @Test func unbalancedCorpusMarks() throws {
        try Self.expectLinear("corpus marks", size: 10_000, name: "marks.txt") { n in
            "[Intervenant 1:] bonjour " + String(repeating: "{ ( (( ¤ / <| ", count: n) + " fin"
        }
    }

    @Test func manyDistinctSpeakers() throws {
        try Self.expectLinear("speakers", size: 2_000, name: "speakers.txt") { n in
            (0..<n).map { "[Personne \($0):] bonjour\n[Personne \($0):] merci" }.joined(separator: "\n")
        }
    }

    @Test func longPlainTextLine() throws {
        try Self.expectLinear("plain line", size: 50_000, name: "line.txt") { n in
            "[Intervenant 1:] Bonjour " + (0..<(n / 8)).map { "mot\($0 % 97)" }.joined(separator: " ") + "\n[Intervenant 2:] oui"
        }
    }

    @Test func whisperSegments() throws {
        try Self.expectLinear("whisper", size: 1_000, name: "w.json") { n in
            "{\"segments\": [" + (0..<n).map { "{\"start\": \($0), \"end\": \($0 + 1), \"text\": \" mot numéro \($0 % 50).\"}" }.joined(separator: ",") + "]}"
        }
    }
}

/// Format detection samples the head of a file; a text whose first line is longer than that is still text.
struct DetectionTests {
    @Test func longFirstLineIsPlainText() throws {
        let directory = try TemporaryFiles.makeDirectory(prefix: "claire-detect")
        defer { TemporaryFiles.remove(directory) }
        // Short or long, a first line starting `[Intervenant 1:]` was taken for a JSON array before.
        let short = directory.appendingPathComponent("short.txt").path
        try Data("[Intervenant 1:] Bonjour\n[Intervenant 2:] oui\n".utf8).write(to: URL(fileURLWithPath: short))
        #expect(try TranscriptLoader().load(path: short).format == .text)
        for name in ["long.txt", "long"] {
            let path = directory.appendingPathComponent(name).path
            try Data(("[Intervenant 1:] Bonjour " + String(repeating: "bla ", count: 62_500) + "\n[Intervenant 2:] oui\n").utf8)
                .write(to: URL(fileURLWithPath: path))
            let transcript = try TranscriptLoader().load(path: path)
            #expect(transcript.format == .text, "\(name)")
            #expect(transcript.turns.count == 2)
        }
        // Whisper JSON is still recognised, object or array of segments.
        #expect(WhisperJSONReader.confidence(data: Data(#"  {"segments": []}"#.utf8), fileName: "x") > 0)
        #expect(WhisperJSONReader.confidence(data: Data(#"[ {"start": 0, "text": "a"}]"#.utf8), fileName: "x") > 0)
        #expect(WhisperJSONReader.confidence(data: Data("[Intervenant 1:] a".utf8), fileName: "x.json") == 0)
    }
}
