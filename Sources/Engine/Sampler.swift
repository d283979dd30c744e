import Foundation
import Tokenization

/// How the next token is chosen. The defaults are those of the Claire model card: sampling with
/// temperature 1.0 among the top 10 tokens, up to 200 new tokens.
public struct GenerationParameters: Sendable, Equatable {
    public var maxNewTokens = 200
    public var temperature: Float = 1.0
    public var topK = 10
    public var topP: Float = 1.0
    public var repetitionPenalty: Float = 1.0
    public var seed: UInt64 = 0
    /// Always the most likely token (temperature, top-k and top-p are ignored).
    public var greedy = false
    /// Generation stops when the decoded text contains one of these; it is not part of the output.
    public var stopStrings: [String] = []
    /// Stop at the end-of-text token (on by default; off to let a base model run on).
    public var stopAtEndOfText = true

    public init() {}

    public static func greedy(maxNewTokens: Int) -> GenerationParameters {
        var parameters = GenerationParameters()
        parameters.greedy = true
        parameters.maxNewTokens = maxNewTokens
        return parameters
    }
}

/// Turns logits into a token: repetition penalty, then temperature, top-k, top-p, and a draw from a seeded
/// generator — the order transformers' logits processors apply them.
struct Sampler {
    var parameters: GenerationParameters
    var random: SeededGenerator
    /// Candidate indices and probabilities, reused between steps.
    private var candidates: [(id: Int, value: Float)] = []

    init(parameters: GenerationParameters) {
        self.parameters = parameters
        random = SeededGenerator(seed: parameters.seed)
    }

    mutating func next(logits: inout [Float], previous: [TokenID]) -> TokenID {
        if parameters.repetitionPenalty != 1 {
            for id in Set(previous) where Int(id) < logits.count {
                let value = logits[Int(id)]
                logits[Int(id)] = value > 0 ? value / parameters.repetitionPenalty : value * parameters.repetitionPenalty
            }
        }
        if parameters.greedy || parameters.temperature <= 0 || parameters.topK == 1 {
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            return TokenID(best)
        }
        let k = parameters.topK > 0 ? min(parameters.topK, logits.count) : logits.count
        candidates.removeAll(keepingCapacity: true)
        if k < logits.count {
            // Keep the k largest with a bounded min-heap-free scan: k is small (10 by default).
            for (i, value) in logits.enumerated() {
                if candidates.count < k {
                    candidates.append((i, value))
                    if candidates.count == k { candidates.sort { $0.value > $1.value } }
                } else if value > candidates[k - 1].value {
                    var j = k - 1
                    while j > 0, candidates[j - 1].value < value {
                        candidates[j] = candidates[j - 1]
                        j -= 1
                    }
                    candidates[j] = (i, value)
                }
            }
            candidates.sort { $0.value > $1.value }
        } else {
            candidates = logits.enumerated().map { ($0.offset, $0.element) }.sorted { $0.value > $1.value }
        }
        // Softmax of the temperature-scaled candidates.
        let top = candidates[0].value / parameters.temperature
        var total: Float = 0
        for i in candidates.indices {
            let p = expf(candidates[i].value / parameters.temperature - top)
            candidates[i].value = p
            total += p
        }
        for i in candidates.indices { candidates[i].value /= total }
        if parameters.topP < 1 {
            var cumulative: Float = 0
            var keep = candidates.count
            for (i, candidate) in candidates.enumerated() {
                cumulative += candidate.value
                if cumulative >= parameters.topP {
                    keep = i + 1
                    break
                }
            }
            candidates.removeLast(candidates.count - keep)
            let kept = candidates.reduce(0) { $0 + $1.value }
            for i in candidates.indices { candidates[i].value /= kept }
        }
        let draw = random.nextUnitFloat()
        var cumulative: Float = 0
        for candidate in candidates {
            cumulative += candidate.value
            if draw < cumulative { return TokenID(candidate.id) }
        }
        return TokenID(candidates[candidates.count - 1].id)
    }
}
