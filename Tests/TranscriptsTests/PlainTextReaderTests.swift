import Foundation
import Testing
import TestSupport
@testable import Transcripts

/// Input-correct-from-Spec.txt (Simple EXMARaLDA): 24 lines start with `NAME:` (grep), line 11 is an indented
/// continuation of TOM's turn; names are TOM/tom, TIM, TIMOTHEUS, KIM, WIM.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
struct PlainTextSampleCountTests {
    @Test func simpleExmaraldaSpecSample() throws {
        let url = try #require(SharedFiles.url("samples/plaintext/Input-correct-from-Spec.txt"))
        let t = try TranscriptLoader().load(path: url.path)
        #expect(t.format == .text && t.turns.count == 24)
        let names = Set(t.speakers.compactMap(\.name).map { $0.uppercased() })
        #expect(names == ["TOM", "TIM", "TIMOTHEUS", "KIM", "WIM"])
        let continued = try #require(t.turns.first { $0.text.hasPrefix("Ich fang") })
        #expect(continued.text == "Ich fang einfach mal an zu reden. Aber so richtig weiß ich nicht, was.")
    }
}
