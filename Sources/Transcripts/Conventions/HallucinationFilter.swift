/// Whisper's two common hallucinations on silence or music: a sentence looping until the segment ends, and
/// the subtitle credits it learned from French TV captions.
enum HallucinationFilter {
    /// A sentence said three times in a row is a decoding loop, not speech (people repeat a word, rarely a
    /// whole sentence three times); two in a row may be speech and stay.
    static let loopLength = 3

    /// Lower-case letters and digits only, what two repetitions of a line share.
    static func key(_ text: Substring) -> String {
        ScalarText.string(text.lowercased().unicodeScalars.lazy.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
    }

    /// `Merci. Merci. Merci. Merci.` → `Merci.`
    static func collapsingRepeatedSentences(_ text: String) -> String {
        let sentences = splitSentences(text)
        guard sentences.count >= loopLength else { return text }
        var kept: [Substring] = []
        var i = 0
        while i < sentences.count {
            let k = key(sentences[i])
            var run = i + 1
            while run < sentences.count, !k.isEmpty, key(sentences[run]) == k { run += 1 }
            kept.append(sentences[i])
            if run - i < loopLength { kept += sentences[(i + 1)..<run] }
            i = run
        }
        return kept.joined(separator: " ")
    }

    /// Sentences end after `.`, `!`, `?` or `…` followed by a space (or the end).
    static func splitSentences(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            let next = text.index(after: i)
            if ".!?…".contains(text[i]), next == text.endIndex || text[next] == " " {
                let piece = text[start..<next].drop { $0 == " " }
                if !piece.isEmpty { result.append(piece) }
                start = next
            }
            i = next
        }
        let tail = text[start...].drop { $0 == " " }
        if !tail.isEmpty { result.append(tail) }
        return result
    }

    /// Caption credits Whisper writes over silence, as letter keys.
    static let credits: [String] = [
        "soustitresréaliséesparlacommunautédamaraorg", "soustitresréalisésparlacommunautédamaraorg",
        "soustitragest501", "soustitragesociétéradiocanada",
    ].map { key(Substring($0)) }

    static func removingCredits(_ text: String) -> String {
        let sentences = splitSentences(text)
        let kept = sentences.filter { sentence in
            let k = key(sentence)
            return !credits.contains { k.contains($0) }
        }
        return kept.count == sentences.count ? text : kept.joined(separator: " ")
    }

    /// Indices of turns that repeat the turn before them verbatim (by letter key) as the third or later of a
    /// run: Whisper repeats whole segments the same way it repeats sentences.
    static func loopedTurns(_ turns: [Turn]) -> Set<Int> {
        var dropped = Set<Int>()
        var runStart = 0
        for i in turns.indices.dropFirst() {
            let same = turns[i].speaker == turns[i - 1].speaker && key(Substring(turns[i].text)) == key(Substring(turns[i - 1].text))
                && !key(Substring(turns[i].text)).isEmpty
            if !same { runStart = i; continue }
            // The whole run goes but its first turn: once it is long enough, its earlier repeats too.
            let length = i - runStart + 1
            if length == loopLength { for j in (runStart + 1)...i { dropped.insert(j) } } else if length > loopLength { dropped.insert(i) }
        }
        return dropped
    }
}
