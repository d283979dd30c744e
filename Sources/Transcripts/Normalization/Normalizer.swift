import Foundation

/// One line of Claire-style dialogue: a speaker tag (`[Intervenant 1:]`, `[Camille Durand:]`, `-`, or empty)
/// and the words, with the transcript turns it came from.
public struct DialogueTurn: Sendable, Equatable {
    public var tag: String
    public var text: String
    /// The speaker key (a `Speaker.id`, or several ids joined by a space for simultaneous speech).
    public var speaker: String
    /// Indices into `Transcript.turns` (several when neighbouring turns of one speaker were merged).
    public var sourceTurns: [Int]

    public var line: String { tag.isEmpty ? text : "\(tag) \(text)" }
}

/// A transcript normalized for Claire: its dialogue lines, and what was decided along the way.
public struct NormalizedDialogue: Sendable, Equatable {
    public var turns: [DialogueTurn]
    /// Remarks worth telling the user, e.g. that `dash` fell back to Intervenant tags.
    public var notes: [String]
    /// Every distinct tag in order of first appearance.
    public var tags: [String]

    /// The dialogue, one turn per line.
    public func rendered() -> String { turns.map(\.line).joined(separator: "\n") }
}

/// Turns a `Transcript` into Claire's dialogue format, following the rules of Claire's training data (those of
/// OpenLLM-France/Lit-Claire's text normalization and its tests): corpus transcription marks reduced
/// (`TranscriptionConventions`), events removed, empty turns dropped, neighbouring turns of one speaker merged,
/// typography as Claire's inference normalizer, speaker tags and casing as configured.
public struct Normalizer: Sendable {
    public var options: NormalizationOptions

    public init(options: NormalizationOptions = NormalizationOptions()) {
        self.options = options
    }

    public func normalize(_ transcript: Transcript) -> NormalizedDialogue {
        var turns: [DialogueTurn] = []
        // Corpus marks (`{rire}`, `<`, `::`, `xxx`, Whisper loops…) become words or `[event]` marks first.
        let conventions = TranscriptionConventions(for: transcript)
        let looped = conventions == .asr ? HallucinationFilter.loopedTurns(transcript.turns) : []
        for (index, turn) in transcript.turns.enumerated() where !looped.contains(index) {
            let text = clean(conventions.clean(turn.text))
            // A turn with no letter (silence, a lone event, punctuation) says nothing.
            guard Self.hasLetter(text) else { continue }
            if turns.last?.speaker == turn.speaker {
                // ORFEO cuts sentences after an elision (`plus vite qu'` | `à pieds`): no space comes back.
                if !(conventions == .spokenCorpus && MarkCleaner.endsWithElision(turns[turns.count - 1].text)) {
                    turns[turns.count - 1].text += " "
                }
                turns[turns.count - 1].text += text
                turns[turns.count - 1].sourceTurns.append(index)
            } else {
                turns.append(DialogueTurn(tag: "", text: text, speaker: turn.speaker, sourceTurns: [index]))
            }
        }
        var notes: [String] = []
        var order: [String] = []
        var seen = Set<String>()  // a set: a file may hold as many speakers as turns
        for turn in turns where seen.insert(turn.speaker).inserted { order.append(turn.speaker) }
        var style = options.speakers
        if style == .dash, order.count != 2 {
            notes.append("dash tags need exactly two speakers; \(order.count) found, used Intervenant tags")
            style = .intervenant
        }
        if style == .none, order.count > 1 {
            notes.append("no speaker tags: \(order.count) speakers are rendered as one monologue")
        }
        let speakersByID = Dictionary(transcript.speakers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let tagOf = Dictionary(uniqueKeysWithValues: order.enumerated().map { position, key in
            (key, tag(for: key, number: position + 1, style: style, speakers: speakersByID))
        })
        for i in turns.indices { turns[i].tag = tagOf[turns[i].speaker] ?? "" }
        // Two speakers may end up with the same tag (same name); Claire's merge applies to equal tags too.
        var merged: [DialogueTurn] = []
        for turn in turns {
            if let last = merged.last, !turn.tag.isEmpty, turn.tag != "-", last.tag == turn.tag {
                merged[merged.count - 1].text += " " + turn.text
                merged[merged.count - 1].sourceTurns += turn.sourceTurns
            } else {
                merged.append(turn)
            }
        }
        var tags: [String] = []
        var seenTags = Set<String>()
        for turn in merged where seenTags.insert(turn.tag).inserted { tags.append(turn.tag) }
        return NormalizedDialogue(turns: merged, notes: notes, tags: tags)
    }

    static func hasLetter(_ text: String) -> Bool {
        for byte in text.utf8 where (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) { return true }
        return text.unicodeScalars.contains { $0.value >= 0x80 && $0.properties.isAlphabetic }
    }

    func tag(for key: String, number: Int, style: NormalizationOptions.SpeakerTags, speakers: [String: Speaker]) -> String {
        switch style {
        case .none: return ""
        case .dash: return "-"
        case .intervenant: return "[Intervenant \(number):]"
        case .named:
            // A key that is not a speaker id is several ids spoken together ("#a #b").
            let ids = speakers[key] != nil ? [key] : key.split(separator: " ").map(String.init)
            let names = ids.map { id -> String? in
                // Readers give a name only when the source names the speaker; ids are labels, never names.
                guard let label = speakers[id]?.name, !SpeakerNames.isAnonymous(label) else { return nil }
                return SpeakerNames.capitalize(Self.tagSafe(label))
            }
            guard !names.isEmpty, names.allSatisfy({ $0 != nil && !$0!.isEmpty }) else { return "[Intervenant \(number):]" }
            return "[\(names.compactMap { $0 }.joined(separator: " et ")):]"
        }
    }

    /// Brackets and colons end a tag early, newlines end the line; a parenthesized role (`Sonia B. (ENQ)`)
    /// is not part of the name.
    static func tagSafe(_ name: String) -> String {
        let withoutRole = removingParenthesized(name)
        return TypographyNormalizer.collapseWhitespace(String(withoutRole.unicodeScalars.filter { !"[]:\n".unicodeScalars.contains($0) }.map(Character.init)))
    }

    /// `Sonia B. (ENQ)` → `Sonia B.`: each `(…)` with a closing parenthesis goes, with the spaces before it.
    static func removingParenthesized(_ name: String) -> String {
        guard name.contains("(") else { return name }
        var out = ""
        var rest = name[...]
        while let open = rest.firstIndex(of: "(") {
            guard let close = rest[open...].firstIndex(of: ")") else { break }
            out += rest[..<open]
            while let last = out.last, last.isWhitespace { out.removeLast() }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    func clean(_ raw: String) -> String {
        // Without events or case changes the steps below reduce to one pass.
        if options.casing == .keep, !TypographyNormalizer.containsByte(raw, UInt8(ascii: "[")) {
            return TypographyNormalizer.normalizedAndCollapsed(raw)
        }
        var text = TypographyNormalizer.normalize(raw)
        text = handleEvents(text)
        switch options.casing {
        case .keep: break
        case .lower: text = lowercasedOutsideBrackets(text)
        case .asr: text = Self.stripPunctuation(lowercasedOutsideBrackets(text))
        }
        return TypographyNormalizer.collapseWhitespace(text)
    }

    /// `[...]` groups are events or comments: dropped, or kept as lower-case marks.
    func handleEvents(_ text: String) -> String {
        guard TypographyNormalizer.containsByte(text, UInt8(ascii: "[")) else { return text }
        var out = ""
        var event: String?
        for character in text {
            if character == "[", event == nil { event = ""; continue }
            if character == "]", let content = event {
                if options.events == .keep {
                    let cleaned = TypographyNormalizer.collapseWhitespace(content.replacingOccurrences(of: ":", with: " ")).lowercased()
                    if !cleaned.isEmpty { out += " [\(cleaned)] " }
                } else {
                    out += " "
                }
                event = nil
                continue
            }
            if event != nil { event!.append(character) } else { out.append(character) }
        }
        if let open = event { out += "[" + open }  // an unclosed bracket is text
        return out
    }

    func lowercasedOutsideBrackets(_ text: String) -> String {
        var out = "", depth = 0
        for character in text {
            if character == "[" { depth += 1 } else if character == "]" { depth = max(0, depth - 1) }
            out += depth > 0 ? String(character) : character.lowercased()
        }
        return out
    }

    /// Claire's ASR variant: `, ; . ! ? …` removed, a colon removed when a space follows; apostrophes,
    /// hyphens, quotes kept.
    static func stripPunctuation(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = ScalarText(capacity: scalars.count)
        for (i, s) in scalars.enumerated() {
            if ",;.!?…".unicodeScalars.contains(s) { out.append(" "); continue }
            if s == ":", i + 1 == scalars.count || scalars[i + 1] == " " { out.append(" "); continue }
            out.append(s)
        }
        return out.string
    }
}
