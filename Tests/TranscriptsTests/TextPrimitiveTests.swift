import Foundation
import Testing
@testable import Transcripts

/// The readers' own trimming and line splitting replace Foundation's and Swift's for speed; these compare the
/// replacements with the originals on every kind of whitespace and line end, so that no reader's output moves.
struct TextPrimitiveTests {
    /// Every ASCII character, Unicode's space separators, line and paragraph separators, NEL, and near misses
    /// (zero-width space and joiner, BOM, combining marks) that are not whitespace.
    static let edges: [String] = (0..<0x80).map { String(UnicodeScalar(UInt8($0))) } + [
        "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2003}", "\u{200A}", "\u{200B}", "\u{200D}", "\u{2028}",
        "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}", "\u{FEFF}", "\u{301}", "é", "\r\n",
    ]

    static let texts: [String] = {
        var texts = ["", " ", "a", " a ", "\t\tmot\t", "  deux  mots  ", "é\u{301} ", "\u{301}x"]
        for edge in edges {
            texts += [edge, edge + "mot" + edge, edge + edge + "a b" + edge, "x" + edge, edge + "x", edge + "\u{301}" + edge]
        }
        return texts
    }()

    @Test func whitespaceTrimmingMatchesFoundation() {
        for text in Self.texts {
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
            #expect(text.trimmingWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines),
                    "\(Array(text.unicodeScalars))")
            #expect(text.isBlank == text.trimmingCharacters(in: .whitespaces).isEmpty, "\(Array(text.unicodeScalars))")
            let sub = Substring(text)
            #expect(sub.trimmingWhitespace() == sub.trimmingCharacters(in: .whitespaces))
        }
    }

    /// The byte-level splitter against the Character-level split it replaced.
    @Test func linesMatchTheCharacterSplit() {
        var texts = Self.texts
        texts += ["a\nb", "a\r\nb", "a\rb", "a\n\rb", "a\r\r\nb", "\n", "\r\n", "\r", "a\n", "\n\u{301}b", "é\r\n\u{301}", "a\u{2028}b"]
        for text in texts {
            let expected = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
                .enumerated().map { ($0.offset + 1, String($0.element)) }
            let lines = TextDecoding.lines(text)
            #expect(lines.map(\.number) == expected.map(\.0), "\(Array(text.unicodeScalars))")
            #expect(lines.map(\.text) == expected.map(\.1), "\(Array(text.unicodeScalars))")
        }
    }
}
