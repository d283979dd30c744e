import Foundation
import Testing
import TestSupport
import Tokenization
@testable import Transcripts

/// Windows counted with the real Falcon tokenizer: every window re-encoded fits its budget.
@Suite(.enabled(if: SharedFiles.url("reference/tokenizer/falcon/tokenizer.json") != nil, "needs ../shared/reference/tokenizer"))
struct WindowerTests {
    static let tokenizer: FalconTokenizer? = SharedFiles.url("reference/tokenizer/falcon/tokenizer.json").flatMap { try? FalconTokenizer(contentsOf: $0) }

    func dialogue(_ count: Int, words: Int = 12) -> NormalizedDialogue {
        let turns = (0..<count).map { i in
            DialogueTurn(tag: "[Intervenant \(i % 3 + 1):]", text: (0..<words).map { "mot\($0 + i)" }.joined(separator: " ") + " ?",
                         speaker: "s\(i % 3)", sourceTurns: [i])
        }
        return NormalizedDialogue(turns: turns, notes: [], tags: [])
    }

    @Test(arguments: [40, 64, 128, 2048])
    func everyWindowFitsAndEveryTurnIsCovered(window: Int) throws {
        let tokenizer = try #require(Self.tokenizer)
        let options = WindowOptions(window: window, reserve: window / 8, overlapTurns: 1)
        let d = dialogue(60)
        let windows = Windower(options: options, tokenizer: tokenizer).windows(d)
        var covered = Set<Int>()
        for w in windows {
            #expect(tokenizer.encode(w.text).count == w.tokens)
            #expect(w.tokens <= options.budget, "window of \(w.tokens) tokens over a budget of \(options.budget)")
            covered.formUnion(w.firstTurn...w.lastTurn)
        }
        #expect(covered == Set(0..<60))
        // Overlap: each window after the first starts with the previous window's last turn.
        for (a, b) in zip(windows, windows.dropFirst()) { #expect(b.firstTurn == a.lastTurn || b.firstTurn == a.firstTurn + 1) }
    }

    @Test func aTurnLongerThanAWindowIsSplitAndKeepsItsTag() throws {
        let tokenizer = try #require(Self.tokenizer)
        let long = NormalizedDialogue(turns: [DialogueTurn(tag: "[Camille:]", text: Array(repeating: "parole", count: 300).joined(separator: " "),
                                                            speaker: "c", sourceTurns: [0])], notes: [], tags: [])
        let windows = Windower(options: WindowOptions(window: 100, reserve: 20, overlapTurns: 1), tokenizer: tokenizer).windows(long)
        #expect(windows.count > 3)
        for w in windows {
            #expect(w.text.hasPrefix("[Camille:] parole"))
            #expect(tokenizer.encode(w.text).count <= 80)
        }
        let words = windows.map { $0.text.dropFirst("[Camille:] ".count).split(separator: " ").count }.reduce(0, +)
        #expect(words >= 300, "no word lost")
    }

    @Test func tinyWindowsStillFinishAndHugeWordsAreCut() throws {
        let tokenizer = try #require(Self.tokenizer)
        let d = NormalizedDialogue(turns: [DialogueTurn(tag: "[A:]", text: String(repeating: "x", count: 500), speaker: "a", sourceTurns: [0]),
                                           DialogueTurn(tag: "[B:]", text: "court", speaker: "b", sourceTurns: [1])], notes: [], tags: [])
        let windows = Windower(options: WindowOptions(window: 12, reserve: 2, overlapTurns: 3), tokenizer: tokenizer).windows(d)
        #expect(!windows.isEmpty && windows.count < 1000)
        #expect(windows.last?.text == "[B:] court")
        #expect(Windower(options: WindowOptions(), tokenizer: tokenizer).windows(NormalizedDialogue(turns: [], notes: [], tags: [])).isEmpty)
    }
}
