import Foundation

/// Whisper's JSON output and its relatives: openai-whisper and whisper-timestamped (`segments` with `start`,
/// `end`, `text`), whisperX after diarization (`speaker` on segments, or only on `words`), and a bare array
/// of segments. Segments without a speaker belong to one unknown speaker.
public struct WhisperJSONReader: TranscriptReader {
    public static let format = TranscriptFormat.whisper
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        var first = data.startIndex
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { first += 3 }
        while first < data.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(data[first]) { first += 1 }
        guard first < data.endIndex, data[first] == UInt8(ascii: "{") || data[first] == UInt8(ascii: "[") else { return 0 }
        // Whisper JSON is an object (`{"` or `{}`) or an array of segment objects (`[{` or `[]`): a text
        // starting `[Intervenant 1:]` is not, however long its first line.
        var second = first + 1
        while second < data.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(data[second]) { second += 1 }
        guard second < data.endIndex else { return 0 }
        let expected: [UInt8] = data[first] == UInt8(ascii: "{") ? [UInt8(ascii: "\""), UInt8(ascii: "}")] : [UInt8(ascii: "{"), UInt8(ascii: "]")]
        guard expected.contains(data[second]) else { return 0 }
        return ByteSearch.contains(data, within: 4096, "\"segments\"") || ByteSearch.contains(data, within: 4096, "\"start\"") ? 90 : 40
    }

    public func read(data: Data, source: String) throws -> Transcript {
        let segments = try Self.segmentObjects(data, source: source)
        var speakers = SpeakerTable()
        var turns: [Turn] = []
        for (index, segment) in segments.enumerated() {
            guard let text = segment["text"] as? String else {
                throw TranscriptError(file: source, "segment \(index) has no \"text\" string")
            }
            let label = (segment["speaker"] as? String) ?? Self.majoritySpeaker(segment["words"]) ?? "speaker"
            let id = speakers.add(id: label, name: SpeakerNames.isAnonymous(label) ? nil : label)
            let trimmed = text.trimmingWhitespaceAndNewlines()
            if trimmed.isEmpty { continue }
            turns.append(Turn(speaker: id, text: trimmed, start: Self.number(segment["start"]), end: Self.number(segment["end"])))
        }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no segment with text") }
        return Transcript(source: source, format: .whisper, speakers: speakers.speakers, turns: turns)
    }

    /// The segment objects of a Whisper JSON file (an object's `segments`, or a bare array).
    static func segmentObjects(_ data: Data, source: String) throws -> [[String: Any]] {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            // Foundation says where ("around line 3, column 7") in its own words; keep them on one line.
            let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            throw TranscriptError(file: source, "invalid JSON: \(detail.replacingOccurrences(of: "\n", with: " "))")
        }
        let segments: [[String: Any]]
        if let object = root as? [String: Any] {
            guard let list = object["segments"] as? [[String: Any]] else {
                throw TranscriptError(file: source, "a Whisper JSON object needs a \"segments\" array")
            }
            segments = list
        } else if let list = root as? [[String: Any]] {
            segments = list
        } else {
            throw TranscriptError(file: source, "expected a Whisper JSON object with \"segments\" or an array of segments")
        }
        return segments
    }

    /// whisperX sometimes labels words but not their segment: the segment's speaker is its words' majority.
    static func majoritySpeaker(_ words: Any?) -> String? {
        guard let words = words as? [[String: Any]] else { return nil }
        var counts: [String: Int] = [:]
        for word in words { if let s = word["speaker"] as? String { counts[s, default: 0] += 1 } }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
    }

    static func number(_ value: Any?) -> Double? {
        (value as? NSNumber)?.doubleValue
    }
}
