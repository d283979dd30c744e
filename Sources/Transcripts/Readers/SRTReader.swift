import Foundation

/// SubRip: numbered blocks, `hh:mm:ss,mmm --> hh:mm:ss,mmm`, text lines; `<i>`/`<font>` tags and `{\an8}`
/// positions removed. A `Name: ` prefix names the speaker; `- ` lines inside one block are two speakers.
public struct SRTReader: TranscriptReader {
    public static let format = TranscriptFormat.srt
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        if ByteSearch.containsSRTTiming(data, within: 400) { return 90 }
        return fileName.lowercased().hasSuffix(".srt") ? 30 : 0
    }

    public func read(data: Data, source: String) throws -> Transcript {
        let lines = TextDecoding.lines(try TextDecoding.decode(data, source: source))
        var speakers = SpeakerTable()
        var turns: [Turn] = []
        var i = 0
        var dashSpeaker = 0
        while i < lines.count {
            var block: [(number: Int, text: String)] = []
            while i < lines.count, !lines[i].text.isBlank { block.append(lines[i]); i += 1 }
            i += 1
            guard !block.isEmpty else { continue }
            guard let timingIndex = block.firstIndex(where: { $0.text.contains("-->") }), timingIndex <= 1 else {
                throw TranscriptError(file: source, .line(block[0].number, column: 1), "expected a subtitle number then 'hh:mm:ss,mmm --> hh:mm:ss,mmm'")
            }
            let (start, end) = try WebVTTReader.times(block[timingIndex].text, line: block[timingIndex].number, source: source)
            let textLines = block[(timingIndex + 1)...].map { Self.stripMarkup($0.text) }
            if textLines.count > 1, textLines.allSatisfy({ $0.hasPrefix("-") }) {
                // "- Tu viens ?\n- Oui." is an exchange between two people.
                for line in textLines {
                    let id = speakers.add(id: "dash-\(dashSpeaker % 2 + 1)")
                    dashSpeaker += 1
                    let text = line.dropFirst().trimmingWhitespace()
                    if !text.isEmpty { turns.append(Turn(speaker: id, text: text, start: start, end: end, overlaps: true)) }
                }
                continue
            }
            var text = textLines.joined(separator: " ").trimmingWhitespace()
            var label = "speaker"
            if let prefixed = SpeakerPrefix.split(text) { label = prefixed.label; text = prefixed.rest }
            let id = speakers.add(id: label, name: SpeakerNames.isAnonymous(label) || label == "speaker" ? nil : label)
            if !text.isEmpty { turns.append(Turn(speaker: id, text: text, start: start, end: end)) }
        }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no subtitle with text in this SRT file") }
        return Transcript(source: source, format: .srt, speakers: speakers.speakers, turns: turns)
    }

    /// SSA override blocks ({\an8}) and the HTML tags subtitle players honour.
    private static let overrideBlock = TextPattern(#"\{\\[^}]*\}"#, requiring: "{")
    private static let htmlTag = TextPattern(#"</?(i|b|u|font)( [^>]*)?>"#, caseInsensitive: true, requiring: "<")

    static func stripMarkup(_ line: String) -> String {
        var text = overrideBlock.replacing(in: line, with: "")
        text = htmlTag.replacing(in: text, with: "")
        return CharacterReferences.decode(text).trimmingWhitespace()
    }
}
