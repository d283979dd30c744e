import Foundation

/// The values a step's template sees for one window (the names in `PromptTemplate.variables`). The runner
/// renders prompts with them and the preparer sizes windows with them, so the two cannot disagree about
/// what surrounds the window text.
public struct PromptVariables: Sendable {
    public var window: String
    public var speakers: [String]
    /// Empty unless the step is `complete-turn`.
    public var nextSpeaker: String
    public var source: String
    public var format: String
    public var windowIndex: Int
    public var windowCount: Int
    public var pipeline: String
    public var step: String

    public init(window: String, speakers: [String], nextSpeaker: String, source: String, format: String,
                windowIndex: Int, windowCount: Int, pipeline: String, step: StepSpec) {
        self.window = window
        self.speakers = speakers
        self.nextSpeaker = step.kind == .completeTurn ? nextSpeaker : ""
        self.source = source
        self.format = format
        self.windowIndex = windowIndex
        self.windowCount = windowCount
        self.pipeline = pipeline
        self.step = step.id
    }

    /// Everything but the window text as long as any window of this source can make it: all its speaker tags,
    /// the longest tag as the next speaker, window numbers with as many digits as its turn count (there are
    /// never more windows than turns). Rendering a template with these measures what it adds around a window.
    public static func bound(source: String, format: String, tags: [String], turns: Int, pipeline: String, step: StepSpec) -> PromptVariables {
        let longestTag = tags.max { $0.utf8.count < $1.utf8.count } ?? ""
        let most = max(1, turns)
        return PromptVariables(window: "", speakers: tags, nextSpeaker: longestTag, source: source, format: format,
                               windowIndex: most, windowCount: most, pipeline: pipeline, step: step)
    }

    /// The template's view, keyed by `PromptTemplate.variables`.
    public var values: [String: Any] {
        [
            "window": window, "speakers": speakers, "speaker_list": speakers.joined(separator: ", "),
            "next_speaker": nextSpeaker, "source": source, "source_name": URL(fileURLWithPath: source).lastPathComponent,
            "format": format, "window_index": windowIndex, "window_number": windowIndex + 1, "window_count": windowCount,
            "pipeline": pipeline, "step": step,
        ]
    }
}
