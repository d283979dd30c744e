import Foundation

/// Speaker labels written at the start of a line: Claire's `[Intervenant 1:]`, `[Name:]`, `[speaker001:]`, and
/// the ASR and subtitle habits `SPEAKER_00: …`, `Name : …`, `L1 : …`, `>> Name: …`.
enum SpeakerPrefix {
    /// The label and the rest of the line, when the line starts with a label.
    static func split(_ line: String) -> (label: String, rest: String)? {
        var text = Substring(line).drop { $0 == " " || $0 == "\t" }
        if text.hasPrefix(">>") { text = text.dropFirst(2).drop { $0 == " " } }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let inside = text[text.index(after: text.startIndex)..<close]
            guard inside.hasSuffix(":") else { return nil }
            let label = inside.dropLast().trimmingWhitespace()
            guard !label.isEmpty else { return nil }
            return (label, text[text.index(after: close)...].trimmingWhitespace())
        }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let label = text[..<colon].trimmingWhitespace()
        let rest = text[text.index(after: colon)...]
        // "12:30" is a time, "http://x" a link: a label is followed by a space or the end of the line.
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        guard isLabelShaped(label) else { return nil }
        return (label, rest.trimmingWhitespace())
    }

    /// Short, name-like: up to four words and 40 characters, starting with a letter or `#`, no sentence
    /// punctuation but the period of an abbreviation (`M.`, `Dr.`).
    static func isLabelShaped(_ label: String) -> Bool {
        guard !label.isEmpty, label.count <= 40, let first = label.unicodeScalars.first,
              first.properties.isAlphabetic || first == "#" else { return false }
        guard label.split(separator: " ").count <= 4 else { return false }
        return label.unicodeScalars.allSatisfy { s in
            s.properties.isAlphabetic || s.properties.numericType != nil || " _-.'#".unicodeScalars.contains(s)
        }
    }
}
