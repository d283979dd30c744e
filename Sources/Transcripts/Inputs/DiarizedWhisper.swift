import Foundation

/// A Whisper JSON (words with times, no speakers) merged with a diarization RTTM of the same recording
/// (speakers with times, no words), the way whisperX assigns word speakers:
/// - a word goes to the speaker whose RTTM segments overlap the word's time span most (overlaps of one
///   speaker's segments add up); a tie goes to the speaker met first in the RTTM;
/// - a word no segment overlaps goes to the speaker of the nearest segment (smallest gap between the word and
///   the segment; a tie goes to the earlier segment);
/// - a word without times takes the speaker of the word before it (the segment's own span for the first);
///   a segment without words is placed by its own span;
/// - consecutive words of one speaker within a Whisper segment make one turn.
/// Words are swept in time order against segments sorted by start, so the cost grows with words plus
/// segments (times the few segments active at once), not with their product.
struct DiarizedWhisper {
    struct Word {
        var text: String
        var start: Double?
        var end: Double?
    }

    static func read(whisper: Data, whisperSource: String, rttm: Data, rttmSource: String) throws -> Transcript {
        let objects = try WhisperJSONReader.segmentObjects(whisper, source: whisperSource)
        let base = TranscriptInputs.recordingName(of: rttmSource)
        let segments = try RTTM.read(data: rttm, source: rttmSource).segments(for: base, source: rttmSource)

        // Every segment as words (a segment without word times is one word spanning it).
        var segmentWords: [[Word]] = []
        for (index, object) in objects.enumerated() {
            guard let text = object["text"] as? String else {
                throw TranscriptError(file: whisperSource, "segment \(index) has no \"text\" string")
            }
            let start = WhisperJSONReader.number(object["start"]), end = WhisperJSONReader.number(object["end"])
            var words: [Word] = []
            for word in object["words"] as? [[String: Any]] ?? [] {
                guard let spelled = (word["text"] as? String) ?? (word["word"] as? String) else { continue }
                let trimmed = spelled.trimmingWhitespaceAndNewlines()
                if !trimmed.isEmpty { words.append(Word(text: trimmed, start: WhisperJSONReader.number(word["start"]), end: WhisperJSONReader.number(word["end"]))) }
            }
            if words.isEmpty {
                let trimmed = text.trimmingWhitespaceAndNewlines()
                if !trimmed.isEmpty { words.append(Word(text: trimmed, start: start, end: end)) }
            } else if words[0].start == nil {
                words[0].start = start
                words[0].end = words[0].end ?? end
            }
            segmentWords.append(words)
        }

        // Timed words in time order, swept once against the diarization.
        var timed: [(start: Double, end: Double, segment: Int, word: Int)] = []
        for (s, words) in segmentWords.enumerated() {
            for (w, word) in words.enumerated() {
                if let start = word.start { timed.append((start, max(start, word.end ?? start), s, w)) }
            }
        }
        timed.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var assigner = SpeakerAssigner(segments)
        var speakerOf: [[String?]] = segmentWords.map { Array(repeating: nil, count: $0.count) }
        for word in timed { speakerOf[word.segment][word.word] = assigner.speaker(start: word.start, end: word.end) }

        var speakers = SpeakerTable()
        var turns: [Turn] = []
        var previous: String?
        for (s, words) in segmentWords.enumerated() {
            for (w, word) in words.enumerated() {
                let speaker = speakerOf[s][w] ?? previous ?? segments.first?.speaker ?? "speaker"
                if w > 0, previous == speaker {
                    turns[turns.count - 1].text += " " + word.text
                    if let end = word.end { turns[turns.count - 1].end = end }
                } else {
                    speakers.add(id: speaker, name: SpeakerNames.isAnonymous(speaker) ? nil : speaker)
                    turns.append(Turn(speaker: speaker, text: word.text, start: word.start, end: word.end))
                }
                previous = speaker
            }
        }
        guard !turns.isEmpty else { throw TranscriptError(file: whisperSource, "no segment with text") }
        return Transcript(source: whisperSource, format: .whisper, speakers: speakers.speakers, turns: turns,
                          metadata: ["diarization": rttmSource])
    }
}

/// The word-speaker rule of `DiarizedWhisper` over time-ordered queries.
struct SpeakerAssigner {
    private let segments: [RTTM.Segment]
    private let rank: [String: Int]
    private var next = 0
    private var active: [Int] = []
    /// The segment that ended last among those no later word can overlap.
    private var latestEnded: Int?

    init(_ segments: [RTTM.Segment]) {
        self.segments = segments.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        var rank: [String: Int] = [:]
        for segment in segments where rank[segment.speaker] == nil { rank[segment.speaker] = rank.count }
        self.rank = rank
    }

    /// The speaker for a word spanning `start…end`; calls come in order of `start`.
    mutating func speaker(start: Double, end: Double) -> String {
        while next < segments.count, segments[next].start < end || (start == end && segments[next].start <= end) {
            active.append(next)
            next += 1
        }
        active.removeAll { index in
            guard segments[index].end <= start, !(start == end && segments[index].end == start) else { return false }
            if latestEnded.map({ segments[$0].end < segments[index].end }) ?? true { latestEnded = index }
            return true
        }
        var overlap: [String: Double] = [:]
        for index in active {
            let shared = min(end, segments[index].end) - max(start, segments[index].start)
            if shared > 0 { overlap[segments[index].speaker, default: 0] += shared }
        }
        if let best = overlap.max(by: { ($0.value, -rank[$0.key, default: 0]) < ($1.value, -rank[$1.key, default: 0]) }) {
            return best.key
        }
        // Nearest segment: the latest one ended before, one still active (touching), or the next to start.
        var candidates: [(gap: Double, start: Double, index: Int)] = []
        if let before = latestEnded { candidates.append((start - segments[before].end, segments[before].start, before)) }
        for index in active { candidates.append((max(0, segments[index].start - end, start - segments[index].end), segments[index].start, index)) }
        if next < segments.count { candidates.append((segments[next].start - end, segments[next].start, next)) }
        guard let nearest = candidates.min(by: { ($0.gap, $0.start) < ($1.gap, $1.start) }) else { return "speaker" }
        return segments[nearest.index].speaker
    }
}
