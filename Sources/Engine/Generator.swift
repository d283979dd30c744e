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

/// Generates text from a prompt with a loaded model. One generator owns one session (KV cache); use one per
/// concurrent sequence, or reuse it sequentially.
public final class Generator {
    public let model: FalconModel
    private let session: InferenceSession

    public init(model: FalconModel, maximumBatch: Int = 256) {
        self.model = model
        session = model.makeSession(maximumBatch: maximumBatch)
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
        session.reset()
        let context = model.config.contextLength
        guard promptIDs.count <= context else { throw EngineError.promptTooLong(tokens: promptIDs.count, context: context) }
        let started = DispatchTime.now().uptimeNanoseconds
        try session.appendKeepingLast(promptIDs)
        let prefilled = DispatchTime.now().uptimeNanoseconds

        var sampler = Sampler(parameters: parameters)
        var decoder = tokenizer.makeStreamingDecoder()
        var stops = StopStringWatcher(stopStrings: parameters.stopStrings)
        var ids: [TokenID] = []
        var history = promptIDs
        var logits = session.logits
        var reason = StopReason.maxTokens
        let endOfText = tokenizer.endOfTextID ?? TokenID(model.config.eosTokenID)

        while ids.count < parameters.maxNewTokens {
            let normalizer = onToken == nil ? 0 : Self.logSumExp(logits)
            let raw = onToken == nil ? [] : logits
            let next = sampler.next(logits: &logits, previous: history)
            if parameters.stopAtEndOfText, next == endOfText || next == TokenID(model.config.eosTokenID) {
                reason = .endOfText
                break
            }
            ids.append(next)
            history.append(next)
            let stopped = stops.append(decoder.append(next), emit: onText)
            if let onToken, !onToken(next, raw[Int(next)] - normalizer) { throw CancellationError() }
            if stopped {
                reason = .stopString
                break
            }
            if ids.count == parameters.maxNewTokens { break }
            if session.position >= context {
                reason = .context
                break
            }
            try session.appendKeepingLast([next])
            logits = session.logits
        }
        if reason != .stopString { _ = stops.append(decoder.finish(), emit: onText) }
        stops.flush(emit: onText)
        let finished = DispatchTime.now().uptimeNanoseconds
        return GenerationResult(promptIDs: promptIDs, ids: ids, text: stops.text, stopReason: reason,
                                prefillSeconds: Double(prefilled - started) / 1e9, decodeSeconds: Double(finished - prefilled) / 1e9)
    }
}

extension Generator {
    static func logSumExp(_ values: [Float]) -> Float {
        guard let top = values.max(), top.isFinite else { return values.max() ?? 0 }
        var total: Float = 0
        for value in values { total += expf(value - top) }
        return top + logf(total)
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
