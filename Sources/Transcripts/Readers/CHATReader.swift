import Foundation

/// CHILDES/CLAN CHAT (`.cha`): `@Participants` (code, optional name, role), `*CODE:` utterances with tab
/// continuation lines, `%` dependent tiers skipped, `·start_end·` bullets as times (ms). CHAT's codes are
/// reduced to plain words: `&=laughs` → `[laughs]`, `&-euh` → `euh`, fragments `&+`, unintelligible
/// `xxx`/`yyy`/`www`, pauses `(.)`, terminators `+...`, bracketed codes `[//]`, `[*]` and `0word` omissions
/// removed; `word@s` suffixes and `<…>` scope brackets dropped, `(be)cause` spelled out.
public struct CHATReader: TranscriptReader {
    public static let format = TranscriptFormat.chat
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        if ByteSearch.contains(data, within: 1024, "@Begin"),
           ByteSearch.contains(data, within: 1024, "@Participants") || ByteSearch.contains(data, within: 1024, "@UTF8") { return 95 }
        return fileName.lowercased().hasSuffix(".cha") ? 30 : 0
    }

    public func read(data: Data, source: String) throws -> Transcript {
        let lines = TextDecoding.lines(try TextDecoding.decode(data, source: source))
        var speakers = SpeakerTable()
        var declared: [String: (name: String?, role: String?)] = [:]
        var turns: [Turn] = []
        var current: (code: String, text: String, line: Int)?
        var inDependentTier = false, inHeader = false

        func flush() {
            guard let utterance = current else { return }
            current = nil
            var text = utterance.text
            var start: Double?, end: Double?
            if let bullet = Self.bullet.firstMatch(in: text) {
                let numbers = text[bullet].dropFirst().dropLast().split(separator: "_").compactMap { Double($0) }
                if numbers.count == 2 { start = numbers[0] / 1000; end = numbers[1] / 1000 }
                text.removeSubrange(bullet)
            }
            let clean = Self.clean(text)
            guard !clean.isEmpty else { return }
            let facts = declared[utterance.code]
            speakers.add(id: utterance.code, name: facts?.name, role: facts?.role)
            turns.append(Turn(speaker: utterance.code, text: clean, start: start, end: end))
        }

        for line in lines {
            let text = line.text
            if text.hasPrefix("\t") || text.hasPrefix(" ") {
                if inDependentTier || inHeader { continue }
                current?.text += " " + text
                continue
            }
            inDependentTier = false
            inHeader = false
            if text.hasPrefix("*") {
                flush()
                guard let colon = text.firstIndex(of: ":") else {
                    throw TranscriptError(file: source, .line(line.number, column: 1), "an utterance line needs '*CODE:' then a tab")
                }
                current = (String(text[text.index(after: text.startIndex)..<colon]), String(text[text.index(after: colon)...]), line.number)
            } else if text.hasPrefix("%") {
                flush()
                inDependentTier = true
            } else if text.hasPrefix("@") {
                flush()
                inHeader = true
                if text.hasPrefix("@Participants:") {
                    for entry in text.dropFirst("@Participants:".count).split(separator: ",") {
                        let words = entry.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                        guard let code = words.first else { continue }
                        let role = words.count >= 2 ? words.last : nil
                        var name = words.count >= 3 ? words[1..<(words.count - 1)].joined(separator: " ") : nil
                        // TEI-CORPO writes names as codes: Sonia_Branca-Rosoff.
                        if name == nil, code.count > 3, code.contains(where: \.isLowercase) { name = code.replacingOccurrences(of: "_", with: " ") }
                        declared[code] = (name?.replacingOccurrences(of: "_", with: " "), role)
                    }
                }
            } else if !text.isBlank {
                flush()
            }
        }
        flush()
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no utterance (*CODE: lines) in this CHAT file") }
        return Transcript(source: source, format: .chat, speakers: speakers.speakers, turns: turns)
    }

    /// A media bullet: NAK, start and end in milliseconds, NAK.
    private static let bullet = TextPattern(#"\x{15}(\d+)_(\d+)\x{15}"#, requiring: "\u{15}")
    private static let event = TextPattern(#"&=([\p{L}_:]+)"#, requiring: "&")
    private static let fragment = TextPattern(#"&-(\p{L}+)"#, requiring: "&")
    private static let otherAmpersand = TextPattern(#"&[+~*]?\S*"#, requiring: "&")
    private static let untranscribed = TextPattern(#"(^|\s)(xxx|yyy|www|0\S+)(?=\s|$)"#)
    private static let pause = TextPattern(#"\((\.+|\d+(\.\d+)?)\)"#, requiring: "(")
    private static let terminator = TextPattern(#"\+[./!?,"<^+]*"#, requiring: "+")
    private static let specialForm = TextPattern(#"@\w+(:\w+)?"#, requiring: "@")
    private static let scopeMark = TextPattern(#"[<>“”‡„]"#, requiring: "<>“”‡„")
    private static let omittedPart = TextPattern(#"\((\p{L}+)\)"#, requiring: "(")

    static func clean(_ raw: String) -> String {
        var text = Self.spaced(raw, "\t")
        text = event.replacing(in: text, with: " {$1} ")                                                     // events, protected below
        text = removingGroups(text, open: "[", close: "]") { _ in " " }                                      // [//] [*] [= x] codes
        text = fragment.replacing(in: text, with: "$1")
        text = otherAmpersand.replacing(in: text, with: " ")
        text = untranscribed.replacing(in: text, with: " ")
        text = pause.replacing(in: text, with: " ")
        text = terminator.replacing(in: text, with: " ")                                                     // terminators, linkers
        text = specialForm.replacing(in: text, with: "")
        text = scopeMark.replacing(in: text, with: " ")
        text = omittedPart.replacing(in: text, with: "$1")
        text = removingGroups(text, open: "{", close: "}") { "[\($0)]" }
        text = Self.spaced(text, "_")
        return TypographyNormalizer.collapseWhitespace(text)
    }

    /// `text` with every `scalar` turned into a space (Foundation's `replacingOccurrences` bridges to NSString:
    /// a quarter of this reader's time).
    static func spaced(_ text: String, _ scalar: Unicode.Scalar) -> String {
        guard text.unicodeScalars.contains(scalar) else { return text }
        return ScalarText.string(text.unicodeScalars.lazy.map { $0 == scalar ? " " : $0 })
    }

    /// Each `open…close` group (no nesting) replaced by `replacement(content)`; an opener without a closer
    /// stays. One forward pass: the regex `\[[^\]]*\]` rescans to the end from every unclosed `[`.
    static func removingGroups(_ text: String, open: Character, close: Character, _ replacement: (Substring) -> String) -> String {
        guard text.contains(open) else { return text }
        var out = ""
        var rest = text[...]
        while let start = rest.firstIndex(of: open) {
            guard let end = rest[start...].firstIndex(of: close) else { break }  // no closer anywhere after: done
            out += rest[..<start]
            out += replacement(rest[rest.index(after: start)..<end])
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}
