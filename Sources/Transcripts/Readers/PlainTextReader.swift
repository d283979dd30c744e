import Foundation

/// Plain text: speaker-prefixed lines in every Claire format (`[Intervenant 1:] …`, `[Name:] …`,
/// `[speaker001:] …`, `- …` for two alternating speakers) and the usual ASR ones (`SPEAKER_00: …`,
/// `Name : …`, `L1 : …`); lines without a prefix continue the previous turn. Text without any prefix is
/// one speaker's monologue, one turn per paragraph.
///
/// A `Word: ` line start is a speaker only if the file uses that label at least twice or it is a bracketed
/// or diarization label, so that "Remarque : …" in prose stays prose; in a file made mostly of labelled lines,
/// a one- or two-word label used once is a speaker too.
public struct PlainTextReader: TranscriptReader {
    public static let format = TranscriptFormat.text
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        // Any UTF-8 text: the fallback when nothing more specific claims the file.
        let head = data.prefix(4096)
        guard !head.contains(0) else { return 0 }
        return fileName.lowercased().hasSuffix(".txt") ? 20 : 5
    }

    public func read(data: Data, source: String) throws -> Transcript {
        let lines = TextDecoding.lines(try TextDecoding.decode(data, source: source))
        var counts: [String: Int] = [:]
        for line in lines { if let label = SpeakerPrefix.split(line.text)?.label { counts[label, default: 0] += 1 } }
        let dashLines = lines.filter { $0.text.hasPrefix("- ") || $0.text == "-" }.count
        let nonEmpty = lines.filter { !$0.text.isBlank }.count
        let isDash = dashLines >= 2 && dashLines * 2 >= nonEmpty
        // In a file that is mostly labelled lines, a speaker who talks once is still a speaker.
        let repeatedLabelLines = counts.values.filter { $0 >= 2 }.reduce(0, +)
        let isDialogue = repeatedLabelLines * 2 >= nonEmpty && repeatedLabelLines > 0

        var speakers = SpeakerTable()
        var turns: [Turn] = []
        var dashTurn = 0
        var paragraphBreak = false
        for line in lines {
            let text = line.text.trimmingWhitespace()
            if text.isEmpty { paragraphBreak = true; continue }
            defer { paragraphBreak = false }
            if isDash, text.hasPrefix("-") {
                let id = speakers.add(id: "dash-\(dashTurn % 2 + 1)")
                dashTurn += 1
                turns.append(Turn(speaker: id, text: text.dropFirst().trimmingWhitespace()))
                continue
            }
            if let (label, rest) = SpeakerPrefix.split(text),
               counts[label, default: 0] >= 2 || text.hasPrefix("[")
                || (isDialogue && label.split(separator: " ").count <= 2) || SpeakerNames.isAnonymous(label) {
                let id = speakers.add(id: label, name: SpeakerNames.isAnonymous(label) ? nil : label)
                turns.append(Turn(speaker: id, text: rest))
                continue
            }
            if let last = turns.indices.last, !(paragraphBreak && speakers.speakers.count <= 1 && turns[last].speaker == "speaker") {
                turns[last].text += (turns[last].text.isEmpty ? "" : " ") + text
            } else {
                turns.append(Turn(speaker: speakers.add(id: turns.last?.speaker ?? "speaker"), text: text))
            }
        }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "the file holds no text") }
        return Transcript(source: source, format: .text, speakers: speakers.speakers, turns: turns)
    }
}
