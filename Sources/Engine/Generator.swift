import Foundation
import Tokenization

/// Why generation ended.
public enum StopReason: String, Sendable, Codable {
    /// The model wrote its end-of-text token.
    case endOfText = "eos"
    /// A stop string appeared in the text.
    case stopString = "stop"
    /// `maxNewTokens` were generated.
    case maxTokens = "max_tokens"
    /// The model's context is full.
    case context
}

public struct GenerationResult: Sendable {
    public var promptIDs: [TokenID]
    /// The new tokens (up to and including the one that completed a stop string).
    public var ids: [TokenID]
    /// The new text, without the stop string and whatever followed it.
    public var text: String
    public var stopReason: StopReason
    public var prefillSeconds: Double
    public var decodeSeconds: Double

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptIDs.count) / prefillSeconds : 0 }
    /// Decode speed counts the tokens after the first (the first comes from the prefill's logits).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(ids.count - 1, 0)) / decodeSeconds : 0 }
}

/// Generates text from one prompt at a time: a `BatchGenerator` of one sequence, so that a prompt gives the
/// same text here as in any batch (pipelines, the server). Reuse it sequentially; its cache keeps the last
/// sequence, which a following prompt with the same prefix starts from.
public final class Generator {
    public let model: FalconModel
    private let prefillChunk: Int
    /// Made on first use, for the tokenizer given then (its decoder renders the text).
    private var batch: BatchGenerator?

    /// `maximumBatch`: prompt tokens read per forward pass.
    public init(model: FalconModel, maximumBatch: Int = 256) {
        self.model = model
        prefillChunk = maximumBatch
    }

    /// Runs the prompt, then samples until a stop condition. `onText` receives the text as it becomes final
    /// (never half a character, never a piece of a stop string that may still complete).
    ///
    /// `onToken`, when given, receives each new token with its log-probability under the model (log-softmax of
    /// the raw logits, before repetition penalty, temperature and truncation: what TGI reports), after `onText`
    /// got the text that token made final. Returning false abandons the generation at once with
    /// `CancellationError` (a server whose client went away frees the sequence without waiting for the end).
    public func generate(promptIDs: [TokenID], parameters: GenerationParameters, tokenizer: FalconTokenizer,
                         onText: (String) -> Void = { _ in },
                         onToken: ((TokenID, Float) -> Bool)? = nil) throws -> GenerationResult {
        let generator: BatchGenerator
        if let batch, batch.tokenizer === tokenizer {
            generator = batch
        } else {
            generator = BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: 1, prefillChunk: prefillChunk)
            batch = generator
        }
        var pending: GenerationRequest? = GenerationRequest(promptIDs: promptIDs, parameters: parameters)
        var outcome: Result<GenerationResult, Error>?
        try generator.run(next: { _ -> BatchGenerator.Pull<Int> in
            guard let request = pending else { return .end }
            pending = nil
            return .request(request, 0)
        }, onEvent: { _, event in
            switch event {
            case .token(let id, let logprob, let text):
                if !text.isEmpty { onText(text) }
                if let onToken, !onToken(id, logprob) {
                    outcome = .failure(CancellationError())
                    return false
                }
            case .finished(let result, let finalText):
                if !finalText.isEmpty { onText(finalText) }
                outcome = .success(result)
            case .failed(let error): outcome = .failure(error)
            }
            return true
        })
        return try outcome!.get()
    }
}

/// Watches decoded text for stop strings, holding back any tail that could still become one.
struct StopStringWatcher {
    let stopStrings: [String]
    private(set) var text = ""
    private var emitted = 0  // characters of `text` already given to the caller
    private var stopped = false

    init(stopStrings: [String]) {
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
    }

    /// Adds decoded text; returns true when a stop string appeared (the text is cut before it).
    mutating func append(_ piece: String, emit: (String) -> Void) -> Bool {
        guard !stopped else { return true }
        text += piece
        if let cut = stopStrings.compactMap({ text.range(of: $0)?.lowerBound }).min() {
            text = String(text[..<cut])
            stopped = true
            flush(emit: emit)
            return true
        }
        // Emit everything except a suffix that is a proper prefix of some stop string.
        var hold = 0
        for stop in stopStrings {
            for length in stride(from: min(stop.count - 1, text.count), through: 1, by: -1) where text.hasSuffix(stop.prefix(length)) {
                hold = max(hold, length)
                break
            }
        }
        let ready = text.count - hold
        if ready > emitted {
            let start = text.index(text.startIndex, offsetBy: emitted)
            let end = text.index(text.startIndex, offsetBy: ready)
            emit(String(text[start..<end]))
            emitted = ready
        }
        return false
    }

    mutating func flush(emit: (String) -> Void) {
        if text.count > emitted {
            emit(String(text.dropFirst(emitted)))
            emitted = text.count
        }
    }
}
