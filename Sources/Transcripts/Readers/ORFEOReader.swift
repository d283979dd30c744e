import Foundation

/// ORFEO's CoNLL-like files (`.orfeo`): one token per line (id, form, lemma, tags, head, relation, …, start,
/// end, speaker), sentences separated by blank lines, `# text = …` giving the sentence. Each sentence is a
/// turn of its tokens' speaker (the most frequent, when a sentence mixes them), timed by its first and last
/// tokens.
public struct ORFEOReader: TranscriptReader {
    public static let format = TranscriptFormat.orfeo
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        if ByteSearch.contains(data, within: 2048, "# sent_id = "), ByteSearch.contains(data, within: 2048, "\t") { return 85 }
        return fileName.lowercased().hasSuffix(".orfeo") ? 40 : 0
    }

    public func read(data: Data, source: String) throws -> Transcript {
        let lines = TextDecoding.lines(try TextDecoding.decode(data, source: source))
        var speakers = SpeakerTable()
        var turns: [Turn] = []
        var sentenceText: String?
        var forms: [String] = [], who: [String] = []
        var start: Double?, end: Double?
        func flush() {
            defer { sentenceText = nil; forms = []; who = []; start = nil; end = nil }
            let text = (sentenceText ?? forms.joined(separator: " ")).trimmingWhitespace()
            guard !text.isEmpty else { return }
            var counts: [String: Int] = [:]
            for w in who { counts[w, default: 0] += 1 }
            let label = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? "unknown"
            speakers.add(id: label, name: SpeakerNames.isAnonymous(label) ? nil : label)
            turns.append(Turn(speaker: label, text: text, start: start, end: end))
        }
        for line in lines {
            let text = line.text
            if text.isBlank { flush(); continue }
            if text.hasPrefix("#") {
                if text.hasPrefix("# text = ") { sentenceText = String(text.dropFirst("# text = ".count)) }
                continue
            }
            let columns = text.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 2 else {
                throw TranscriptError(file: source, .line(line.number, column: 1), "a token line needs tab-separated columns")
            }
            forms.append(String(columns[1]))
            if columns.count >= 13 {
                who.append(String(columns[12]))
                if start == nil { start = Double(columns[10]) }
                end = Double(columns[11]) ?? end
            }
        }
        flush()
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no sentence in this ORFEO file") }
        return Transcript(source: source, format: .orfeo, speakers: speakers.speakers, turns: turns)
    }
}
