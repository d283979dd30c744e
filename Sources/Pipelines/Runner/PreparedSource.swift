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

/// What one generation produced.
public struct StepGeneration: Sendable {
    public var promptTokens: Int
    public var text: String
    public var generatedTokens: Int
    public var stopReason: StopReason
    public var prefillSeconds: Double
    public var decodeSeconds: Double

    public init(promptTokens: Int, text: String, generatedTokens: Int, stopReason: StopReason, prefillSeconds: Double, decodeSeconds: Double) {
        self.promptTokens = promptTokens
        self.text = text
        self.generatedTokens = generatedTokens
        self.stopReason = stopReason
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
    }
}

/// The model side of a run, loaded once and shared by every window.
public protocol TextGenerating: AnyObject {
    /// Names the model in output records (its path).
    var modelName: String { get }
    func generate(prompt: String, generation: GenerationSpec, seed: UInt64) throws -> StepGeneration
}
