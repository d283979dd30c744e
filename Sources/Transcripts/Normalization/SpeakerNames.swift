import Foundation

/// Speaker labels: which are anonymous diarization labels, and how Claire capitalizes names.
enum SpeakerNames {
    /// `SPEAKER_00`, `spk1`, `speaker001`, `L1`, `S2`, `Locuteur 3`, `Intervenant 4`, `#12`, `A`, `B`…: labels
    /// that number speakers rather than name them.
    static func isAnonymous(_ label: String) -> Bool {
        let trimmed = label.trimmingWhitespace().lowercased()
        var bytes = Substring(trimmed).utf8[...]
        if bytes.isEmpty || trimmed == "speaker" { return true }
        if bytes.count == 1, let letter = bytes.first, letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "z") { return true }
        if bytes.count == 6, bytes.starts(with: "dash-".utf8), isDigits(bytes.dropFirst(5)) { return true }
        if bytes.first == UInt8(ascii: "#") { bytes = bytes.dropFirst() }
        if isDigits(bytes) { return true }
        for (word, separator, digits) in numberedWords where bytes.starts(with: word.utf8) {
            var rest = bytes.dropFirst(word.utf8.count)
            if separator, let first = rest.first, first == 0x20 || first == UInt8(ascii: "_") || first == UInt8(ascii: "-") { rest = rest.dropFirst() }
            if rest.isEmpty ? !digits : isDigits(rest) { return true }
        }
        return false
    }

    /// Words that number speakers: whether a space, `_` or `-` may follow, and whether digits must.
    /// (`unknown` and `inconnu` stand alone; `L1`, `S2`, `loc3` take no separator.)
    private static let numberedWords: [(word: String, separator: Bool, digits: Bool)] = [
        ("speaker", true, true), ("spk", true, true), ("l", false, true), ("s", false, true), ("loc", false, true),
        ("locuteur", true, true), ("intervenant", true, true), ("interlocuteur", true, true), ("participant", true, true),
        ("unknown", true, false), ("inconnu", true, false),
    ]

    private static func isDigits(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Claire's `capitalize`: each word gets a capital then lower case, unless it is all capitals and at most
    /// two letters (`JR`); parts joined by `-` or `'` are capitalized one by one (`claude-marie` → `Claude-Marie`,
    /// `d'estaing` → `D'Estaing`).
    static func capitalize(_ name: String) -> String {
        name.split(separator: " ", omittingEmptySubsequences: true).map { word -> String in
            let w = String(word)
            if isShortCapitals(w) { return w }
            var result = ""
            var part = ""
            func flush() {
                result += isShortCapitals(part) ? part : capitalizeWord(part)
                part = ""
            }
            for character in w {
                if character == "-" || character == "'" {
                    flush()
                    result.append(character)
                } else {
                    part.append(character)
                }
            }
            flush()
            return result
        }.joined(separator: " ")
    }

    private static func isShortCapitals(_ word: String) -> Bool {
        let letters = word.filter(\.isLetter)
        return !letters.isEmpty && letters.count <= 2 && letters.allSatisfy(\.isUppercase) && word.count <= 3
    }

    private static func capitalizeWord(_ word: String) -> String {
        guard let first = word.first else { return word }
        return String(first).uppercased() + word.dropFirst().lowercased()
    }
}
