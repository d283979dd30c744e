import Foundation
import Tokenization

/// Perplexity as the reference numbers were computed: windows of `context` tokens starting every
/// `context` tokens, each scored from its own start (no carried-over cache), exp of the mean negative
/// log-likelihood over all targets.
public struct PerplexityResult: Sendable, Equatable {
    public var perplexity: Double
    /// Tokens scored (targets).
    public var tokens: Int
    public var context: Int
}

public enum Perplexity {
    /// The corpus as token ids: documents split on "\n<|endoftext|>\n", stripped of surrounding newlines,
    /// empty ones dropped, each encoded and followed by the end-of-text id.
    public static func corpusIDs(_ text: String, tokenizer: FalconTokenizer) -> [TokenID] {
        let endOfText = tokenizer.endOfTextID ?? 11
        var ids: [TokenID] = []
        for document in text.components(separatedBy: "\n<|endoftext|>\n") {
            let trimmed = document.trimmingCharacters(in: CharacterSet(charactersIn: "\n"))
            if trimmed.isEmpty { continue }
            ids += tokenizer.encode(trimmed)
            ids.append(endOfText)
        }
        return ids
    }

    /// Scores `ids` in windows of `context`; `maximumTokens` limits how many tokens are scored (targets), which
    /// takes one more id than that (the reference's "first 16384 tokens" scores 16384 targets).
    public static func evaluate(model: FalconModel, ids allIDs: [TokenID], context: Int, maximumTokens: Int? = nil,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> PerplexityResult {
        let ids = maximumTokens.map { Array(allIDs.prefix($0 + 1)) } ?? allIDs
        let context = min(context, model.config.contextLength)
        let session = model.makeSession(maximumBatch: min(context, 256))
        var negativeLogLikelihood: Double = 0
        var scored = 0
        var start = 0
        let vocab = model.config.vocabularySize
        while start + 1 < ids.count {
            let end = min(start + context, ids.count - 1)  // inputs ids[start..<end], targets ids[start+1...end]
            session.reset()
            try session.append(Array(ids[start..<end])) { row, logits in
                let target = Int(ids[start + row + 1])
                var maximum = -Float.infinity
                for i in 0..<vocab where logits[i] > maximum { maximum = logits[i] }
                var total: Double = 0
                for i in 0..<vocab { total += Double(expf(logits[i] - maximum)) }
                negativeLogLikelihood += Double(maximum) + log(total) - Double(logits[target])
                scored += 1
            }
            progress(end, ids.count)
            start += context
        }
        return PerplexityResult(perplexity: exp(negativeLogLikelihood / Double(max(scored, 1))), tokens: scored, context: context)
    }
}
