import Foundation

/// WebVTT (W3C): cues with `<v Speaker>` voice spans; NOTE, STYLE and REGION blocks skipped; other tags
/// stripped; character references decoded. Without voices, a `Name: ` prefix names the speaker.
public struct WebVTTReader: TranscriptReader {
    public static let format = TranscriptFormat.vtt
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        var head = data.prefix(16)
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { head = head.dropFirst(3) }
        if head.starts(with: Array("WEBVTT".utf8)) { return 100 }
        return fileName.lowercased().hasSuffix(".vtt") ? 30 : 0
    }

    public func read(data: Data, source: String) throws -> Transcript {
        let lines = TextDecoding.lines(try TextDecoding.decode(data, source: source))
        guard let first = lines.first, first.text.hasPrefix("WEBVTT"),
              first.text.count == 6 || first.text.dropFirst(6).first == " " || first.text.dropFirst(6).first == "\t" else {
            throw TranscriptError(file: source, .line(1, column: 1), "a WebVTT file starts with the line WEBVTT")
        }
        var speakers = SpeakerTable()
        var turns: [Turn] = []
        // The header runs to the first blank line (Kind:, Language: …).
        var i = 1
        while i < lines.count, !lines[i].text.isBlank { i += 1 }
        while i < lines.count {
            // A block: lines up to the next blank one.
            var block: [(number: Int, text: String)] = []
            while i < lines.count, !lines[i].text.isBlank { block.append(lines[i]); i += 1 }
            i += 1
            guard let head = block.first else { continue }
            if head.text.hasPrefix("NOTE") || head.text.hasPrefix("STYLE") || head.text.hasPrefix("REGION") { continue }
            // A block without a timing line is not a cue; the specification has parsers skip it.
            guard let timingIndex = block.firstIndex(where: { $0.text.contains("-->") }) else { continue }
            guard timingIndex <= 1 else {
                throw TranscriptError(file: source, .line(block[timingIndex].number, column: 1), "a cue's timing line must be its first or second line")
            }
            let timing = block[timingIndex]
            let (start, end) = try Self.times(timing.text, line: timing.number, source: source)
            let payload = block[(timingIndex + 1)...].map(\.text).joined(separator: "\n")
            for (voice, text) in Self.voiceSpans(payload) {
                var speaker = voice
                var words = text
                if speaker == nil, let prefixed = SpeakerPrefix.split(text) { speaker = prefixed.label; words = prefixed.rest }
                let id = speakers.add(id: speaker ?? "speaker", name: speaker.flatMap { SpeakerNames.isAnonymous($0) ? nil : $0 })
                let clean = words.replacingOccurrences(of: "\n", with: " ").trimmingWhitespace()
                if !clean.isEmpty { turns.append(Turn(speaker: id, text: clean, start: start, end: end)) }
            }
        }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no cue with text in this WebVTT file") }
        return Transcript(source: source, format: .vtt, speakers: speakers.speakers, turns: turns)
    }

    static func times(_ line: String, line number: Int, source: String) throws -> (Double, Double) {
        let parts = line.components(separatedBy: "-->")
        let startText = parts[0].trimmingWhitespace()
        let endText = parts.count > 1 ? (parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? "") : ""
        guard let start = Timestamp.seconds(Substring(startText)), let end = Timestamp.seconds(Substring(endText)) else {
            throw TranscriptError(file: source, .line(number, column: 1), "malformed cue timing '\(line)' (expected hh:mm:ss.ttt --> hh:mm:ss.ttt)")
        }
        return (start, end)
    }

    /// The payload split at `<v Name>` spans: (voice, text with tags removed and references decoded).
    static func voiceSpans(_ payload: String) -> [(String?, String)] {
        var spans: [(String?, String)] = []
        var voice: String?
        var text = ""
        var index = payload.startIndex
        while index < payload.endIndex {
            let character = payload[index]
            if character == "<", let close = payload[index...].firstIndex(of: ">") {
                let tag = payload[payload.index(after: index)..<close]
                if tag.hasPrefix("v ") || tag.hasPrefix("v.") || tag.hasPrefix("v\t") {
                    if !text.trimmingWhitespaceAndNewlines().isEmpty { spans.append((voice, text)) }
                    text = ""
                    let name = tag.drop { $0 != " " && $0 != "\t" }.trimmingWhitespace()
                    voice = name.isEmpty ? nil : name
                }
                index = payload.index(after: close)
                continue
            }
            text.append(character)
            index = payload.index(after: index)
        }
        if !text.trimmingWhitespaceAndNewlines().isEmpty { spans.append((voice, text)) }
        return spans.map { ($0.0, CharacterReferences.decode($0.1)) }
    }
}

/// `&amp;`, `&lt;`, `&nbsp;`, `&#233;`, `&#xE9;`… as in HTML-like subtitle text.
enum CharacterReferences {
    static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "nbsp": "\u{A0}", "quot": "\"", "apos": "'",
                                          "lrm": "\u{200E}", "rlm": "\u{200F}"]

    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "&", let semicolon = text[index...].prefix(12).firstIndex(of: ";") {
                let name = String(text[text.index(after: index)..<semicolon])
                var replacement: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    replacement = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    replacement = named[name]
                }
                if let replacement {
                    out += replacement
                    index = text.index(after: semicolon)
                    continue
                }
            }
            out.append(text[index])
            index = text.index(after: index)
        }
        return out
    }
}
