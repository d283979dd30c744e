import Foundation

/// Praat TextGrid, long ("ooTextFile" with `item [1]:`, `intervals [1]:`) and short forms, UTF-8 or UTF-16.
/// Usually one IntervalTier per speaker (tier name = speaker). Alignment tiers (`phones`, `syll`, `words`,
/// `pos`…) are skipped; when a file has a transcription tier (`ortho`, `transcription`) and a speaker tier
/// (`spk`, `speaker`, `locuteur`), each transcription interval goes to the speaker labelled at its middle.
/// Point tiers (TextTier) and empty intervals are ignored.
public struct TextGridReader: TranscriptReader {
    public static let format = TranscriptFormat.textgrid
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        let head = (try? TextDecoding.decode(data.prefix(512), source: "")) ?? String(decoding: data.prefix(512), as: UTF8.self)
        if head.contains("ooTextFile") && head.contains("TextGrid") { return 100 }
        return fileName.lowercased().hasSuffix(".textgrid") ? 30 : 0
    }

    struct Tier {
        var name: String
        var isInterval: Bool
        var intervals: [(start: Double, end: Double, text: String)] = []
    }

    static let alignmentTiers: Set<String> = ["phones", "phone", "phonemes", "syll", "syllables", "words", "word", "mots", "pos",
                                              "lemma", "tokens", "segments", "phon", "syllabes"]
    static let transcriptionTiers: Set<String> = ["ortho", "transcription", "orthographic", "text", "trans"]
    static let speakerTiers: Set<String> = ["spk", "speaker", "speakers", "locuteur", "locuteurs", "loc"]

    public func read(data: Data, source: String) throws -> Transcript {
        let tiers = try Self.parse(TextDecoding.decode(data, source: source), source: source)
        let intervalTiers = tiers.filter(\.isInterval)
        var speakers = SpeakerTable()
        var turns: [Turn] = []
        if let ortho = intervalTiers.first(where: { Self.transcriptionTiers.contains($0.name.lowercased()) }),
           let spk = intervalTiers.first(where: { Self.speakerTiers.contains($0.name.lowercased()) }) {
            for interval in ortho.intervals {
                let middle = (interval.start + interval.end) / 2
                let label = spk.intervals.first { $0.start <= middle && middle < $0.end }?.text ?? "unknown"
                let id = speakers.add(id: label, name: SpeakerNames.isAnonymous(label) ? nil : label)
                turns.append(Turn(speaker: id, text: interval.text, start: interval.start, end: interval.end))
            }
        } else {
            for tier in intervalTiers where !Self.alignmentTiers.contains(tier.name.lowercased()) && !Self.speakerTiers.contains(tier.name.lowercased()) {
                let id = speakers.add(id: tier.name, name: SpeakerNames.isAnonymous(tier.name) ? nil : tier.name)
                for interval in tier.intervals { turns.append(Turn(speaker: id, text: interval.text, start: interval.start, end: interval.end)) }
            }
            // Speakers' intervals interleave in time; a stable sort keeps each tier's order for equal starts.
            turns = turns.enumerated().sorted { ($0.element.start ?? 0, $0.offset) < ($1.element.start ?? 0, $1.offset) }.map(\.element)
        }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no speech interval in this TextGrid (only alignment or point tiers?)") }
        return Transcript(source: source, format: .textgrid, speakers: speakers.speakers, turns: turns)
    }

    /// Both forms are a sequence of values: strings in double quotes (`""` escapes a quote), numbers, and
    /// `<exists>` flags; the long form adds `key =` labels and `[n]:` headers, which carry no information the
    /// order does not. Values are read in order, with their line numbers for errors.
    static func parse(_ text: String, source: String) throws -> [Tier] {
        var values: [(value: String, isString: Bool, line: Int)] = []
        var line = 1
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "\n" { line += 1; index = text.index(after: index); continue }
            if c == "\"" {
                var value = "", i = text.index(after: index), startLine = line
                var closed = false
                while i < text.endIndex {
                    if text[i] == "\"" {
                        let next = text.index(after: i)
                        if next < text.endIndex, text[next] == "\"" { value.append("\""); i = text.index(after: next); continue }
                        closed = true
                        i = next
                        break
                    }
                    if text[i] == "\n" { line += 1 }
                    value.append(text[i])
                    i = text.index(after: i)
                }
                guard closed else { throw TranscriptError(file: source, .line(startLine, column: nil), "unterminated string") }
                values.append((value, true, startLine))
                _ = startLine
                index = i
                continue
            }
            if c == "-" || c == "." || c.isNumber {
                var token = ""
                var i = index
                while i < text.endIndex, text[i] == "-" || text[i] == "." || text[i] == "e" || text[i] == "E" || text[i] == "+" || text[i].isNumber {
                    token.append(text[i]); i = text.index(after: i)
                }
                if Double(token) != nil { values.append((token, false, line)) }
                index = i
                continue
            }
            if c == "!" { while index < text.endIndex, text[index] != "\n" { index = text.index(after: index) }; continue }  // comment
            if c == "[" {  // skip "[3]" item indices of the long form
                while index < text.endIndex, text[index] != "]" { index = text.index(after: index) }
                if index < text.endIndex { index = text.index(after: index) }
                continue
            }
            index = text.index(after: index)
        }
        var cursor = 0
        func next(_ what: String) throws -> (value: String, isString: Bool, line: Int) {
            guard cursor < values.count else { throw TranscriptError(file: source, .line(line, column: nil), "the TextGrid ends early (expected \(what))") }
            defer { cursor += 1 }
            return values[cursor]
        }
        func number(_ what: String) throws -> Double {
            let v = try next(what)
            guard !v.isString, let d = Double(v.value) else { throw TranscriptError(file: source, .line(v.line, column: nil), "expected \(what), found \"\(v.value)\"") }
            return d
        }
        func count(_ what: String) throws -> Int {
            let d = try number(what)
            guard d >= 0, d < 10_000_000, d == d.rounded() else { throw TranscriptError(file: source, .line(values[cursor - 1].line, column: nil), "implausible \(what) \(d)") }
            return Int(d)
        }
        // Header: "ooTextFile", "TextGrid", xmin, xmax, size.
        let kind = try next("the file type")
        guard kind.isString, kind.value == "ooTextFile" else { throw TranscriptError(file: source, .line(kind.line, column: nil), "not a Praat text file (no \"ooTextFile\" header)") }
        let object = try next("the object class")
        guard object.value == "TextGrid" else { throw TranscriptError(file: source, .line(object.line, column: nil), "a \(object.value), not a TextGrid") }
        _ = try number("xmin"); _ = try number("xmax")
        let tierCount = try count("the number of tiers")
        var tiers: [Tier] = []
        for _ in 0..<tierCount {
            let kind = try next("a tier class")
            let name = try next("a tier name")
            _ = try number("tier xmin"); _ = try number("tier xmax")
            let n = try count("the number of intervals")
            var tier = Tier(name: name.value, isInterval: kind.value == "IntervalTier")
            for _ in 0..<n {
                if tier.isInterval {
                    let start = try number("interval xmin"), end = try number("interval xmax")
                    let label = try next("interval text")
                    let text = label.value.trimmingWhitespaceAndNewlines()
                    if !text.isEmpty, text != "_", text != "#" { tier.intervals.append((start, end, text)) }
                } else {
                    _ = try number("point time"); _ = try next("point mark")
                }
            }
            tiers.append(tier)
        }
        return tiers
    }
}
