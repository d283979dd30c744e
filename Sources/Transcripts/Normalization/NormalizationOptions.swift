/// How a transcript becomes Claire-style dialogue. Defaults follow Claire's training data: named speakers
/// where the source names them (`[Intervenant N:]` otherwise), source casing, events dropped.
public struct NormalizationOptions: Sendable, Equatable {
    public enum SpeakerTags: String, Sendable, CaseIterable {
        /// `[Name:]` re-capitalized like Claire's training text; anonymous speakers as `[Intervenant N:]`.
        case named
        /// `[Intervenant N:]` for everyone, numbered by first appearance (anonymizes).
        case intervenant
        /// `- ` before each turn: Claire's format for exactly two speakers.
        case dash
        /// No tags: one monologue line per turn.
        case none
    }

    public enum Casing: String, Sendable, CaseIterable {
        case keep
        case lower
        /// Lower-case without `, ; . ! ? …` (and a colon before a space), like Claire's ASR-style variants.
        case asr
    }

    public enum Events: String, Sendable, CaseIterable {
        /// Bracketed events (`[rire]`, `[bruit]`) removed, as in Claire's training text.
        case drop
        /// Kept as `[event]` marks in lower case.
        case keep
    }

    public var speakers: SpeakerTags
    public var casing: Casing
    public var events: Events

    public init(speakers: SpeakerTags = .named, casing: Casing = .keep, events: Events = .drop) {
        self.speakers = speakers
        self.casing = casing
        self.events = events
    }
}
