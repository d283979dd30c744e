import Foundation

/// A Kaldi data directory: `text` (utterance id, words), `utt2spk` (utterance → speaker) and, when present,
/// `segments` (utterance → recording, start, end). Utterances are ordered by recording and start time (by
/// id without segments); Kaldi's `<noise>`-style tokens become `[noise]` events.
public enum KaldiReader {
    public static func read(directory: String) throws -> Transcript {
        func table(_ name: String, required: Bool) throws -> [(number: Int, fields: [String])]? {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else {
                if required { throw TranscriptError(file: path, "missing: a Kaldi data directory needs text and utt2spk") }
                return nil
            }
            let data = try TranscriptLoader().readBounded(path: path)
            return TextDecoding.lines(try TextDecoding.decode(data, source: path)).compactMap { line in
                let fields = line.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                return fields.isEmpty ? nil : (line.number, fields)
            }
        }
        let text = try table("text", required: true)!
        let utt2spk = try table("utt2spk", required: true)!
        let segments = try table("segments", required: false)
        var speakerOf: [String: String] = [:]
        for row in utt2spk {
            guard row.fields.count == 2 else {
                throw TranscriptError(file: (directory as NSString).appendingPathComponent("utt2spk"), .line(row.number, column: 1), "expected 'utterance speaker'")
            }
            speakerOf[row.fields[0]] = row.fields[1]
        }
        var timing: [String: (recording: String, start: Double, end: Double)] = [:]
        for row in segments ?? [] {
            guard row.fields.count == 4, let start = Double(row.fields[2]), let end = Double(row.fields[3]) else {
                throw TranscriptError(file: (directory as NSString).appendingPathComponent("segments"), .line(row.number, column: 1), "expected 'utterance recording start end'")
            }
            timing[row.fields[0]] = (row.fields[1], start, end)
        }
        var entries: [(key: (String, Double, String), turn: Turn)] = []
        for row in text {
            let id = row.fields[0]
            guard let speaker = speakerOf[id] else {
                throw TranscriptError(file: (directory as NSString).appendingPathComponent("text"), .line(row.number, column: 1), "utterance \(id) is not in utt2spk")
            }
            let words = row.fields.dropFirst().map { word -> String in
                word.hasPrefix("<") && word.hasSuffix(">") ? "[\(word.dropFirst().dropLast())]" : word
            }.joined(separator: " ")
            let t = timing[id]
            entries.append(((t?.recording ?? "", t?.start ?? 0, id), Turn(speaker: speaker, text: words, start: t?.start, end: t?.end)))
        }
        entries.sort { $0.key < $1.key }
        var speakers = SpeakerTable()
        for entry in entries { speakers.add(id: entry.turn.speaker) }
        guard !entries.isEmpty else { throw TranscriptError(file: directory, "the Kaldi text file holds no utterance") }
        return Transcript(source: directory, format: .kaldi, speakers: speakers.speakers, turns: entries.map(\.turn))
    }
}
