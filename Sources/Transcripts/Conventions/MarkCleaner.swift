/// The rules of `TranscriptionConventions`, in two linear passes over a turn's scalars: groups (`{…}`,
/// `(…)`, `/…/`, `¤…¤`, `<|…|>`) first, then word by word. A group's closer is searched forward once; when a
/// search fails, later openers of that kind know no closer follows, so unbalanced input stays linear.
struct MarkCleaner {
    let family: TranscriptionConventions

    /// Parenthesized words that are events, not uncertain hearings (lower case, accents kept).
    static let eventWords: Set<String> = [
        "rire", "rires", "rit", "sourire", "toux", "tousse", "bruit", "bruits", "musique", "applaudissements",
        "applaudissement", "soupir", "soupire", "silence", "respiration", "inspiration", "souffle", "pause",
        "chuchotement", "chuchote", "brouhaha", "inaudible", "incompréhensible", "rires", "laughter", "laughs",
        "music", "applause", "noise", "cough", "sighs", "silence", "musique de fond", "générique",
    ]
    static let inaudibleWords: Set<String> = ["xxx", "inaudible", "incompréhensible", "inaud", "?", "???"]

    func clean(_ text: String) -> String {
        guard Self.mayHaveMarks(text) else { return text }
        return words(groups(Array(text.unicodeScalars)))
    }

    /// Bytes that can start or be a mark; text without any is returned as is.
    static func mayHaveMarks(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            defer { previous = byte }
            if byte == previous, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { return true }  // `NNAAMMEE`
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"),
                 UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: ":"), UInt8(ascii: "="),
                 UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "~"), UInt8(ascii: "-"),
                 UInt8(ascii: "'"), UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "^"), 0xC2, 0xE2:
                return true  // 0xC2: `¤` `°`; 0xE2: arrows, music notes
            default: continue
            }
        }
        return false
    }

    // MARK: groups

    private func groups(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count + 16)
        var finder = CloserFinder(s)
        var i = 0
        // The rest of a `/first, second/` group once its first hearing is read.
        var skip: ClosedRange<Int>?
        while i < s.count {
            if let range = skip, i >= range.lowerBound {
                skip = nil
                if i <= range.upperBound {
                    i = range.upperBound + 1
                    while i < s.count, s[i] == "/" { i += 1 }  // a closing `//` would open a new group
                }
                out.append(" ")
                continue
            }
            let c = s[i]
            switch c {
            case "{":
                if let close = finder.next("}", after: i) { Self.appendEvent(s[(i + 1)..<close], to: &out); i = close + 1 } else { out.append(" "); i += 1 }
            case "(" where i + 1 < s.count && s[i + 1] == "(":
                if let close = finder.nextPair(")", after: i + 1) { Self.appendEvent(s[(i + 2)..<close], to: &out); i = close + 2 } else { out.append(" "); i += 2 }
            case "(":
                guard let close = finder.next(")", after: i) else { out.append(" "); i += 1; continue }
                parenthesized(s[(i + 1)..<close], attachedBefore: out.last.map(Self.isLetter) ?? false,
                              attachedAfter: close + 1 < s.count && Self.isLetter(s[close + 1]), into: &out)
                i = close + 1
            case "¤":
                if let close = finder.next("¤", after: i) { out.append(contentsOf: " [nom] ".unicodeScalars); i = close + 1 } else { out.append(" "); i += 1 }
            case "<" where i + 1 < s.count && s[i + 1] == "|":
                if let close = finder.next(">", after: i), close > i + 2, s[close - 1] == "|" { out.append(" "); i = close + 1 } else { out.append(" "); i += 2 }
            case "/":
                // `//` and `///` are pauses; a single `/` opens TCOF's `/first, second/` hesitation, whose first
                // hearing is read on like any text and the rest, from the comma, skipped.
                var run = i
                while run < s.count, s[run] == "/" { run += 1 }
                if run - i >= 2 { out.append(" "); i = run; continue }
                guard let close = finder.next("/", after: i) else { out.append(" "); i += 1; continue }
                let comma = s[(i + 1)..<close].firstIndex(of: ",")
                skip = (comma ?? close)...close
                out.append(" ")
                i += 1
            case "[" where family == .icor, "]" where family == .icor:
                out.append(" "); i += 1
            case "<", ">", "}", ")", "\\", "♪", "♫", "♬", "♩", "↑", "↓", "↗", "↘", "°", "=", "^":
                out.append(" "); i += 1
            default:
                out.append(c); i += 1
            }
        }
        return out
    }

    private func parenthesized(_ content: ArraySlice<Unicode.Scalar>, attachedBefore: Bool, attachedAfter: Bool,
                               into out: inout [Unicode.Scalar]) {
        let trimmed = Self.trimmed(content)
        // `il(s)`, `passe(nt)`, `(be)cause`: optional letters of the word they touch.
        if (attachedBefore || attachedAfter), !trimmed.isEmpty, trimmed.allSatisfy(Self.isLetter) {
            out += trimmed
            return
        }
        // Pauses: `(.)`, `(..)`, `(...)`, `(0.5)`, `(2)`.
        if trimmed.isEmpty || trimmed.allSatisfy({ $0 == "." || $0 == "," || ("0"..."9").contains($0) }) {
            out.append(" ")
            return
        }
        let key = ScalarText.string(trimmed).lowercased()
        if Self.inaudibleWords.contains(key) || Self.isXXX(Array(trimmed)) {
            out.append(contentsOf: " [inaudible] ".unicodeScalars)
        } else if family == .asr || Self.eventWords.contains(key) {
            Self.appendEvent(content, to: &out)
        } else {
            out.append(" ")
            out += trimmed
            out.append(" ")
        }
    }

    /// ` [content] `, or ` [bruit] ` for an empty mark.
    static func appendEvent(_ content: ArraySlice<Unicode.Scalar>, to out: inout [Unicode.Scalar]) {
        let words = trimmed(content)
        out.append(contentsOf: " [".unicodeScalars)
        if words.isEmpty { out.append(contentsOf: "bruit".unicodeScalars) } else { out += words }
        out.append(contentsOf: "] ".unicodeScalars)
    }

    // MARK: words

    private func words(_ s: [Unicode.Scalar]) -> String {
        var out = ScalarText(capacity: s.count)
        var i = 0
        var pendingElision = false
        while i < s.count {
            if Self.isSpace(s[i]) { out.append(" "); i += 1; continue }
            // An `[event]` mark is copied as is; the normalizer decides about it.
            if s[i] == "[" {
                var end = i
                while end < s.count, s[end] != "]" { end += 1 }
                if pendingElision { out.append(" "); pendingElision = false }
                out.append(contentsOf: s[i..<min(end + 1, s.count)])
                i = end + 1
                continue
            }
            var end = i
            while end < s.count, !Self.isSpace(s[end]), s[end] != "[" { end += 1 }
            let word = cleanWord(s[i..<end])
            i = end
            guard !word.isEmpty else { continue }
            if pendingElision { while out.last == 0x20 { out.removeLast() } }
            out.append(contentsOf: word)
            pendingElision = family == .spokenCorpus && Self.isElision(word)
        }
        return out.string
    }

    /// One whitespace-delimited word: its marks removed, or nothing when it is a pause or a fragment.
    private func cleanWord(_ raw: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var word: [Unicode.Scalar] = []
        word.reserveCapacity(raw.count)
        var j = raw.startIndex
        while j < raw.endIndex {
            let c = raw[j]
            if c == ":" {
                var run = j
                while run < raw.endIndex, raw[run] == ":" { run += 1 }
                // `::` lengthening anywhere; in ICOR a single `:` after a letter too (`a:h`, `oui:`).
                let afterLetter = word.last.map(Self.isLetter) ?? false
                if run - j >= 2 || (family == .icor && afterLetter) { j = run; continue }
            }
            if c == "+" || c == "#" || c == "&" { j += 1; continue }
            word.append(c)
            j += 1
        }
        if word.isEmpty { return [] }
        if word.allSatisfy({ $0 == "*" }) || Self.isXXX(word) { return Array(" [inaudible] ".unicodeScalars) }
        if Self.isDoubledCapitals(word) { return Array(" [nom] ".unicodeScalars) }
        word.removeAll { $0 == "*" }
        if family != .asr, let last = word.last, last == "~" || (last == "-" && word.count > 1 && word.contains(where: Self.isLetter)) {
            return []  // a truncated word: `av-`, `qu-~`, `ét~`
        }
        if word == ["-"] || word == ["~"] { return [] }
        return word
    }

    // MARK: scalars

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        return c.properties.isAlphabetic
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || (c.value >= 0x80 && c.properties.isWhitespace)
    }

    static func isXXX(_ word: [Unicode.Scalar]) -> Bool {
        word.count >= 3 && word.allSatisfy { $0 == "x" || $0 == "X" }
    }

    /// ORFEO's anonymisation placeholders spell a word with every capital doubled: `NNAAMMEE`.
    static func isDoubledCapitals(_ word: [Unicode.Scalar]) -> Bool {
        guard word.count >= 6, word.count % 2 == 0 else { return false }
        return stride(from: 0, to: word.count, by: 2).allSatisfy { word[$0] == word[$0 + 1] && ("A"..."Z").contains(word[$0]) }
    }

    private static let elisions: Set<String> = ["c'", "d'", "j'", "l'", "m'", "n'", "s'", "t'", "qu'", "jusqu'", "lorsqu'", "puisqu'", "quoiqu'", "presqu'", "quelqu'"]

    static func isElision(_ word: [Unicode.Scalar]) -> Bool {
        guard word.count <= 7, word.last == "'" else { return false }
        return elisions.contains(ScalarText.string(word).lowercased())
    }

    /// Whether the text's last word is an elided one (`qu'`).
    static func endsWithElision(_ text: String) -> Bool {
        guard text.utf8.last == UInt8(ascii: "'") else { return false }
        let word = text.unicodeScalars.reversed().prefix { !isSpace($0) }.reversed()
        return isElision(Array(word))
    }

    static func trimmed(_ s: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var a = s.startIndex, b = s.endIndex
        while a < b, isSpace(s[a]) { a += 1 }
        while b > a, isSpace(s[b - 1]) { b -= 1 }
        return s[a..<b]
    }
}

/// Finds closers for group openers while a scan moves forward: each search starts past the previous opener
/// and a failed search is remembered, so every kind of closer costs one pass over the text in all.
struct CloserFinder {
    private let s: [Unicode.Scalar]
    /// For each closer kind, where the last successful search found one, or that none follows from a point on.
    private var found: [Unicode.Scalar: Int] = [:]
    private var noneFrom: [Unicode.Scalar: Int] = [:]

    init(_ s: [Unicode.Scalar]) { self.s = s }

    /// The index of the first `closer` after `index`.
    mutating func next(_ closer: Unicode.Scalar, after index: Int) -> Int? {
        if let none = noneFrom[closer], none <= index + 1 { return nil }
        if let hit = found[closer], hit > index { return hit }
        var j = index + 1
        while j < s.count, s[j] != closer { j += 1 }
        if j == s.count { noneFrom[closer] = index + 1; return nil }
        found[closer] = j
        return j
    }

    /// The index of the first `closer closer` pair after `index` (`))`).
    mutating func nextPair(_ closer: Unicode.Scalar, after index: Int) -> Int? {
        let key = Unicode.Scalar(closer.value | 0x10_0000) ?? closer
        if let none = noneFrom[key], none <= index + 1 { return nil }
        if let hit = found[key], hit > index { return hit }
        var j = index + 1
        while j + 1 < s.count, !(s[j] == closer && s[j + 1] == closer) { j += 1 }
        if j + 1 >= s.count { noneFrom[key] = index + 1; return nil }
        found[key] = j
        return j
    }
}
