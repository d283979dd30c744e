import Engine
import Transcripts

/// One input file turned into windows ready for prompting.
public struct PreparedSource: Sendable {
    public var source: String
    /// The reader that read it.
    public var format: TranscriptFormat
    public var windows: [PreparedWindow]

    public init(source: String, format: TranscriptFormat, windows: [PreparedWindow]) {
        self.source = source
        self.format = format
        self.windows = windows
    }
}

/// A window of dialogue in Claire's format, cut at turn boundaries to fit the token budget.
public struct PreparedWindow: Sendable {
    public var text: String
    public var speakers: [String]
    /// The tag of the speaker after the window (for `complete-turn`), e.g. "[Intervenant 2:]".
    public var nextSpeaker: String

    public init(text: String, speakers: [String], nextSpeaker: String) {
        self.text = text
        self.speakers = speakers
        self.nextSpeaker = nextSpeaker
    }
}

/// Reads, normalizes and windows one input file.
public protocol SourcePreparer {
    func prepare(path: String, spec: PipelineSpec) throws -> PreparedSource
}
