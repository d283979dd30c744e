import Tokenization

/// One prompt to continue, with how.
public struct GenerationRequest: Sendable {
    public var promptIDs: [TokenID]
    public var parameters: GenerationParameters

    public init(promptIDs: [TokenID], parameters: GenerationParameters) {
        self.promptIDs = promptIDs
        self.parameters = parameters
    }
}

/// What a request produces, in order: its tokens, then how it ended.
public enum GenerationEvent: Sendable {
    /// A new token: its id, its log-probability under the model (before any sampling transform), and the text
    /// that became final with it (empty while a character or a possible stop string is incomplete).
    case token(id: TokenID, logprob: Float, text: String)
    /// The request ended; `finalText` is the text no token event carried (the tail that became final only at
    /// the end): the token texts followed by it are the result's text.
    case finished(GenerationResult, finalText: String)
    /// The request could not run (a prompt too long for the context, an id outside the vocabulary).
    case failed(EngineError)
}
