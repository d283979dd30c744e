import Foundation

/// A regular expression compiled once, for the readers' clean-up rules.
///
/// `String.replacingOccurrences(of:with:options: .regularExpression)` compiles its pattern on every call
/// (Foundation looks it up in a cache under a key it formats each time, which costs more than the match):
/// the CHAT reader, with ten such rules per utterance, spent nine tenths of its time there and read 0.3 MB/s.
/// The matching is the same ICU engine with the same options, so the results are unchanged.
struct TextPattern: @unchecked Sendable {  // NSRegularExpression is immutable and safe to share between threads
    private let expression: NSRegularExpression
    /// Scalars of which every match holds at least one; text without any is not handed to ICU at all.
    private let required: [Unicode.Scalar]?

    /// `requiring`: characters of which every match must contain one (e.g. `&` for `&=laughs`), so that the
    /// many lines without them skip the regex engine, whose per-call setup costs more than a scan.
    init(_ pattern: String, caseInsensitive: Bool = false, requiring: String? = nil) {
        do {
            expression = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            preconditionFailure("invalid pattern \(pattern): \(error)")
        }
        required = requiring.map { Array($0.unicodeScalars) }
    }

    private func mayMatch(_ text: String) -> Bool {
        guard let required else { return true }
        // A handful of scalars: a linear look beats hashing each scalar of the text into a Set.
        return text.unicodeScalars.contains { scalar in required.contains(scalar) }
    }

    /// Every match replaced by `template` (`$1` for the first group).
    func replacing(in text: String, with template: String) -> String {
        guard mayMatch(text) else { return text }
        return expression.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }

    /// The range of the first match, if any.
    func firstMatch(in text: String) -> Range<String.Index>? {
        guard mayMatch(text), let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return Range(match.range, in: text)
    }
}
