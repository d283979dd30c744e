import Foundation

/// TEI P5, both the speech transcription module and drama:
/// - speech: `<u who start end>` (or TEI-CORPO's `<annotationBlock who start end>` around `<u><seg>`), times
///   from `<timeline>`/`<when>` (absolute, or `interval` since another point), `<pause/>`, `<vocal>`,
///   `<incident>` and `<kinesic>` as `[desc]` marks, `<spanGrp>` annotation tiers skipped;
/// - drama (FreDraCor, DraCor): `<sp who>` with `<l>`, `<p>`, `<lg>`; `<speaker>`, `<stage>` and `<note>`
///   excluded; several ids in `who` make one turn spoken together.
/// Names come from `<person xml:id>`/`<persName>` (TEI-CORPO: `<alt type>`), else from `<speaker>` labels.
/// TEI-CORPO's inline conventions are reduced to plain words: `{rire}` → `[rire]`, `::` lengthening and
/// `<`/`>` overlap marks removed.
public struct TEIReader: TranscriptReader {
    public static let format = TranscriptFormat.tei
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        if head.contains("<TEI") || head.contains("http://www.tei-c.org/ns/1.0") { return 95 }
        return 0
    }

    /// Elements whose text is never speech.
    static let silentElements: Set<String> = ["teiHeader", "front", "back", "speaker", "stage", "note", "spanGrp", "castList",
                                              "head", "desc", "gap", "trailer", "fw", "figure"]
    static let eventElements: Set<String> = ["vocal", "incident", "kinesic", "event"]

    public func read(data: Data, source: String) throws -> Transcript {
        var names: [String: String] = [:]
        var speakerLabels: [String: String] = [:]
        var times: [String: (absolute: Double?, interval: Double?, since: String?)] = [:]
        var raw: [(who: [String], text: String, start: String?, end: String?, overlaps: Bool)] = []
        var sawTEI = false

        var stack: [String] = []
        var silentDepth = 0
        var person: (id: String?, name: String)?
        var inPersName = false
        var current: (who: [String], text: String, start: String?, end: String?)?
        var speakerText = ""
        var eventDescription: String?
        var eventDepth = 0

        func ids(_ who: String) -> [String] {
            who.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.hasPrefix("#") ? String($0.dropFirst()) : String($0) }
        }

        try XMLStream.walk(data, source: source) { event in
            switch event {
            case .start(let name, let attributes, _):
                stack.append(name)
                if name == "TEI" || name == "TEI.2" { sawTEI = true }
                switch name {
                case "person", "castItem":
                    person = (attributes["xml:id"] ?? attributes["id"], "")
                case "alt":
                    if person != nil, person?.id == nil, let type = attributes["type"] { person?.id = type }
                case "persName", "role":
                    if person != nil {
                        inPersName = true
                        if name == "role", let corresp = attributes["corresp"] { person?.id = ids(corresp).first }
                    }
                case "when":
                    if let id = attributes["xml:id"] {
                        times[id] = (attributes["absolute"].flatMap(Self.seconds), attributes["interval"].flatMap(Double.init),
                                     attributes["since"].map { $0.hasPrefix("#") ? String($0.dropFirst()) : $0 })
                    }
                case "u", "annotationBlock", "sp":
                    if current == nil, silentDepth == 0 {
                        current = (ids(attributes["who"] ?? ""), "", attributes["start"], attributes["end"])
                        speakerText = ""
                    } else if current != nil, name == "u" {
                        current?.text += " "
                    }
                case "pause", "lb", "l", "p", "seg", "s", "lg":
                    if current != nil { current?.text += " " }
                default: break
                }
                if Self.eventElements.contains(name), current != nil, eventDescription == nil {
                    eventDescription = attributes["desc"] ?? ""
                    eventDepth = stack.count
                }
                if Self.silentElements.contains(name) { silentDepth += 1 }
            case .end(let name):
                if Self.silentElements.contains(name) { silentDepth = max(0, silentDepth - 1) }
                if eventDescription != nil, stack.count == eventDepth {
                    let desc = eventDescription!.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !desc.isEmpty { current?.text += " [\(desc)] " }
                    eventDescription = nil
                }
                switch name {
                case "persName", "role": inPersName = false
                case "person", "castItem":
                    if let p = person, let id = p.id, !p.name.trimmingCharacters(in: .whitespaces).isEmpty, names[id] == nil {
                        names[id] = TypographyNormalizer.collapseWhitespace(p.name)
                    }
                    person = nil
                case "u", "annotationBlock", "sp":
                    // The element that opened the turn closes it (a <u> inside an annotationBlock does not).
                    let opener = stack.dropLast().contains("annotationBlock") && name == "u" ? false : true
                    if opener, let turn = current {
                        var who = turn.who
                        let label = Self.cleanSpeakerLabel(speakerText)
                        if who.isEmpty { who = [label.isEmpty ? "unknown" : label] }
                        if !label.isEmpty, who.count == 1, speakerLabels[who[0]] == nil { speakerLabels[who[0]] = label }
                        raw.append((who, Self.cleanCorpoConventions(turn.text), turn.start, turn.end, who.count > 1))
                        current = nil
                    }
                default: break
                }
                stack.removeLast()
            case .text(let text):
                if inPersName { person?.name += text; return }
                if eventDescription != nil { if stack.last == "desc" { eventDescription! += text }; return }
                if stack.last == "speaker" || stack.contains("speaker"), current != nil { speakerText += text; return }
                if silentDepth == 0, current != nil { current?.text += text }
            }
        }
        guard sawTEI else { throw TranscriptError(file: source, "not a TEI document (no <TEI> root)") }

        func resolve(_ reference: String?, depth: Int = 0) -> Double? {
            guard let reference, depth < 10_000 else { return nil }
            let id = reference.hasPrefix("#") ? String(reference.dropFirst()) : reference
            guard let point = times[id] else { return Self.seconds(reference) }
            if let absolute = point.absolute { return absolute }
            guard let interval = point.interval else { return nil }
            guard let since = point.since else { return interval }
            return resolve(since, depth: depth + 1).map { $0 + interval }
        }

        var speakers = SpeakerTable()
        var turns: [Turn] = []
        var added = Set<String>()
        for turn in raw {
            let text = TypographyNormalizer.collapseWhitespace(turn.text)
            guard !text.isEmpty else { continue }
            for id in turn.who where !added.contains(id) {
                added.insert(id)
                let name = names[id] ?? speakerLabels[id]
                speakers.add(id: id, name: name.flatMap { SpeakerNames.isAnonymous($0) || $0 == "default" ? nil : $0 })
            }
            turns.append(Turn(speaker: turn.who.joined(separator: " "), text: text, start: resolve(turn.start), end: resolve(turn.end), overlaps: turn.overlaps))
        }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no <u>, <annotationBlock> or <sp> with words in this TEI document") }
        return Transcript(source: source, format: .tei, speakers: speakers.speakers, turns: turns)
    }

    /// `HARPAGON, à part.` → `HARPAGON`.
    static func cleanSpeakerLabel(_ text: String) -> String {
        var label = TypographyNormalizer.collapseWhitespace(text)
        if let cut = label.firstIndex(where: { $0 == "," || $0 == "(" }) { label = String(label[..<cut]) }
        while let last = label.last, last == "." || last == " " || last == ":" { label.removeLast() }
        return label
    }

    static func cleanCorpoConventions(_ text: String) -> String {
        var needed = false, previousColon = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || (byte == UInt8(ascii: ":") && previousColon) { needed = true; break }
            previousColon = byte == UInt8(ascii: ":")
        }
        guard needed else { return text }
        var out = text.replacingOccurrences(of: #"\{([^}\n]*)\}"#, with: " [$1] ", options: .regularExpression)
        out = out.replacingOccurrences(of: "::", with: "").replacingOccurrences(of: "<", with: " ").replacingOccurrences(of: ">", with: " ")
        return out
    }

    static func seconds(_ text: String) -> Double? {
        if let value = Double(text) { return value }
        return Timestamp.seconds(Substring(text))
    }
}
