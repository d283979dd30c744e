import Engine
import Tokenization

/// One generation the server asks of the engine: a tokenized prompt and how to sample after it.
public struct ServingRequest: Sendable {
    public var promptIDs: [TokenID]
    public var parameters: GenerationParameters

    public init(promptIDs: [TokenID], parameters: GenerationParameters) {
        self.promptIDs = promptIDs
        self.parameters = parameters
    }
}

/// How a generation ended, with what the server needs for its responses and metrics.
public struct ServingResult: Sendable {
    /// The new text, without a stop string and what followed it (the engine's convention).
    public var text: String
    public var generatedTokens: [TokenID]
    public var stopReason: StopReason
    /// The stop string that ended the text, when one did.
    public var stopString: String?
    /// Final text not yet carried by a `.token` event (what the decoder or stop watcher held back until the end).
    public var tail: String

    public init(text: String, generatedTokens: [TokenID], stopReason: StopReason, stopString: String?, tail: String) {
        self.text = text
        self.generatedTokens = generatedTokens
        self.stopReason = stopReason
        self.stopString = stopString
        self.tail = tail
    }
}

/// What an engine reports about one request, in order: `.started` once (its sequence joined the batch), a
/// `.token` per generated token, then `.finished`; or an error.
public enum ServingEvent: Sendable {
    case started
    /// `text` is the text this token made final (possibly empty: half a character, or a possible stop string).
    case token(id: TokenID, text: String, logprob: Float)
    case finished(ServingResult)
}

/// The server's only view of the engine. Cancelling the task that consumes a stream (or dropping the stream)
/// frees that request's sequence at once, queued or running.
public protocol ServingEngine: Sendable {
    /// What `/info` and `/v1/models` call the model.
    var modelID: String { get }
    /// The most tokens, prompt and generated, one sequence can hold.
    var contextLength: Int { get }
    /// Sequences generated at the same time; the rest wait in the engine's queue.
    var maximumConcurrent: Int { get }
    /// The model's own tokenizer: the server counts and validates prompts with it.
    var tokenizer: FalconTokenizer { get }
    func generate(_ request: ServingRequest) -> AsyncThrowingStream<ServingEvent, Error>
}
