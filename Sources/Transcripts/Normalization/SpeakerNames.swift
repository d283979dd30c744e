import Foundation

/// Speaker labels: which are anonymous diarization labels, and how Claire capitalizes names.
enum SpeakerNames {
    /// `SPEAKER_00`, `spk1`, `speaker001`, `L1`, `S2`, `Locuteur 3`, `Intervenant 4`, `#12`, `A`, `B`…: labels
    /// that number speakers rather than name them.
    static func isAnonymous(_ label: String) -> Bool {
        let trimmed = label.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.isEmpty { return true }
        let range = NSRange(trimmed.startIndex..., in: trimmed)
        return anonymousPatterns.contains { $0.firstMatch(in: trimmed, range: range) != nil }
    }

    /// Compiled once: readers ask for every turn.
    private static let anonymousPatterns: [NSRegularExpression] = [
        #"^#?speaker[ _-]?\d+$"#, #"^#?spk[ _-]?\d+$"#, #"^#?(l|s|loc|spk|speaker)\d+$"#,
        #"^#?(locuteur|intervenant|interlocuteur|participant)[ _-]?\d+$"#, #"^#?\d+$"#, #"^[a-z]$"#,
        #"^#?unknown[ _-]?\d*$"#, #"^#?inconnu[ _-]?\d*$"#, #"^speaker$"#, #"^dash-\d$"#,
    ].map { try! NSRegularExpression(pattern: $0) }

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
