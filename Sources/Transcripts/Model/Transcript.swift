import Foundation

/// One conversation as every reader delivers it, whatever the file format: who speaks, what they say and,
/// when the source has it, when. Normalization and windowing work on this model only.
public struct Transcript: Sendable, Equatable {
    /// The file (or directory, for Kaldi) the transcript was read from, as the user named it.
    public var source: String
    public var format: TranscriptFormat
    /// Speakers in order of first appearance in the source's speaker table (or of first turn when there is none).
    public var speakers: [Speaker]
    public var turns: [Turn]
    /// Free-form facts the source states about itself (title, date, language, licence…), kept for templates.
    public var metadata: [String: String]

    public init(source: String, format: TranscriptFormat, speakers: [Speaker], turns: [Turn], metadata: [String: String] = [:]) {
        self.source = source
        self.format = format
        self.speakers = speakers
        self.turns = turns
        self.metadata = metadata
    }

    public func speaker(withID id: String) -> Speaker? { speakers.first { $0.id == id } }
}

public struct Speaker: Sendable, Equatable, Hashable {
    /// The identifier the source uses (`spk1`, `#HARPAGON`, `SPEAKER_00`, a tier name…), unique in the transcript.
    public var id: String
    /// A human name when the source gives one (`Harpagon`, `Jean Dupont`); nil for anonymous diarization labels.
    public var name: String?
    /// A role or description when known (`interviewer`, `servante de Harpagon`).
    public var role: String?

    public init(id: String, name: String? = nil, role: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
    }
}

public struct Turn: Sendable, Equatable {
    /// `Speaker.id` of the speaker; several ids separated by spaces when the source marks simultaneous speech
    /// in one turn (a key that is not itself an id).
    public var speaker: String
    /// The words, as written in the source after the reader removed markup; events kept as `[event]` marks
    /// (e.g. `[rire]`, `[bruit]`) so the normalizer can drop or keep them.
    public var text: String
    /// Seconds from the start of the recording, when the source has times.
    public var start: Double?
    public var end: Double?
    /// True when the source says this turn overlaps another speaker's speech.
    public var overlaps: Bool

    public init(speaker: String, text: String, start: Double? = nil, end: Double? = nil, overlaps: Bool = false) {
        self.speaker = speaker
        self.text = text
        self.start = start
        self.end = end
        self.overlaps = overlaps
    }
}

/// Every input format we read; the raw value is the `--format` spelling.
public enum TranscriptFormat: String, Sendable, CaseIterable, Codable {
    case tei            // TEI P5: speech transcription (<u>) and drama (<sp>)
    case trs            // Transcriber
    case vtt            // WebVTT
    case srt            // SubRip
    case whisper        // Whisper / whisperX / whisper-timestamped JSON
    case text           // speaker-prefixed plain text, or a monologue
    case eaf            // ELAN
    case textgrid       // Praat TextGrid
    case chat           // CHILDES/CLAN CHAT .cha
    case orfeo          // ORFEO CoNLL-like .orfeo
    case kaldi          // Kaldi data directory (text + segments + utt2spk)
}
