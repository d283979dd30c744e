import Foundation

/// Prepares plain-text transcripts written as `SPEAKER: text` lines (the "text" format), normalizes speakers
/// and casing per the pipeline and packs whole turns into token-budgeted windows.
///
/// This is the pipelines' own minimal reader so that `run` works on text inputs; the structured formats
/// (TEI, Transcriber, WebVTT, SRT, Whisper JSON) come from the Transcripts module's readers and are reported
/// per file as unsupported until those are wired in.
public struct ClaireTextPreparer: SourcePreparer {
    public let countTokens: (String) -> Int

    public init(countTokens: @escaping (String) -> Int) { self.countTokens = countTokens }

    struct Turn { var speaker: String; var text: String }

    public func prepare(path: String, spec: PipelineSpec) throws -> PreparedSource {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard ext == "txt" || spec.input.formats == ["text"] else {
            throw OutputError("\(path): the '\(ext)' format needs the Transcripts readers, which this build does not have yet; only 'SPEAKER: text' .txt files are read")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let text = String(data: data, encoding: .utf8) else { throw OutputError("\(path): not valid UTF-8") }
        let turns = Self.turns(in: text, normalize: spec.normalize)
        guard !turns.isEmpty else { throw OutputError("\(path): no dialogue turns found") }
        return PreparedSource(source: path, format: "text", windows: windows(turns, spec: spec))
    }

    static func turns(in text: String, normalize: NormalizeSpec) -> [Turn] {
        var turns: [Turn] = []
        var order: [String] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if let colon = line.firstIndex(of: ":"), line.distance(from: line.startIndex, to: colon) <= 40,
               !line[..<colon].contains(" ") || line[..<colon].split(separator: " ").count <= 3 {
                let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
                let body = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if !name.isEmpty {
                    if !order.contains(name.uppercased()) { order.append(name.uppercased()) }
                    turns.append(Turn(speaker: name, text: body))
                    continue
                }
            }
            if turns.isEmpty { turns.append(Turn(speaker: "", text: line)) } else { turns[turns.count - 1].text += " " + line }
        }
        return turns.map { turn in
            var text = turn.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            switch normalize.casing {
            case .keep: break
            case .lower: text = text.lowercased()
            case .asr: text = String(text.lowercased().unicodeScalars.filter { !CharacterSet.punctuationCharacters.contains($0) || $0 == "'" })
            }
            let index = (order.firstIndex(of: turn.speaker.uppercased()) ?? 0) + 1
            let tag: String
            switch normalize.speakers {
            case .intervenant: tag = "[Intervenant \(index):]"
            case .named: tag = turn.speaker.isEmpty ? "[Intervenant \(index):]" : "[\(turn.speaker):]"
            case .dash: tag = "-"
            case .none: tag = ""
            }
            return Turn(speaker: tag, text: text)
        }
    }

    private func windows(_ turns: [Turn], spec: PipelineSpec) -> [PreparedWindow] {
        let overhead = spec.steps.map { countTokens($0.template.render(["window": "", "speaker_list": "", "next_speaker": "[Intervenant 1:]"])) }.max() ?? 0
        let budget = max(8, spec.chunk.window - spec.chunk.reserve - overhead)
        let lines = turns.map { $0.speaker.isEmpty ? $0.text : "\($0.speaker) \($0.text)" }
        let costs = lines.map { countTokens($0 + "\n") }
        var result: [PreparedWindow] = []
        var start = 0
        while start < lines.count {
            var end = start, used = 0
            while end < lines.count, used + costs[end] <= budget || end == start { used += costs[end]; end += 1 }
            var text = lines[start..<end].joined(separator: "\n")
            if costs[start] > budget, end == start + 1 {
                // One turn longer than the window: keep its beginning only, cut on characters until it fits.
                while countTokens(text) > budget, text.count > 1 { text = String(text.prefix(text.count * 3 / 4)) }
            }
            let speakers = Array(Set(turns[start..<end].map(\.speaker))).sorted()
            let next = end < turns.count ? turns[end].speaker : (end >= 2 ? turns[end - 2].speaker : turns[end - 1].speaker)
            result.append(PreparedWindow(text: text, speakers: speakers, nextSpeaker: next))
            if end >= lines.count { break }
            start = max(start + 1, end - spec.chunk.overlapTurns)
        }
        return result
    }
}
