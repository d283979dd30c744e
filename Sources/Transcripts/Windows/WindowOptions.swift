/// How dialogue is cut into prompts: Claire was trained on 2048-token windows cut at speaker turns, and a
/// prompt must leave room for what the model writes (`reserve`).
public struct WindowOptions: Sendable, Equatable {
    public var window: Int
    public var reserve: Int
    /// Turns at the end of one window repeated at the start of the next (Claire repeats the last one).
    public var overlapTurns: Int

    public init(window: Int = 2048, reserve: Int = 200, overlapTurns: Int = 1) {
        self.window = window
        self.reserve = reserve
        self.overlapTurns = overlapTurns
    }

    /// Tokens a window's text may use.
    public var budget: Int { max(1, window - reserve) }
}

/// A prompt-sized piece of dialogue.
public struct DialogueWindow: Sendable, Equatable {
    public var text: String
    /// Falcon tokens of `text`, counted exactly.
    public var tokens: Int
    /// The first and last dialogue turns (indices into `NormalizedDialogue.turns`) it contains, whole or in part.
    public var firstTurn: Int
    public var lastTurn: Int
    /// The tags of the speakers in the window, in order of first appearance.
    public var tags: [String]
}
