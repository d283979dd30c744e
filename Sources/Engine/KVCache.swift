import Foundation
import ModelFiles
import Tokenization

/// The keys and values of one sequence, every layer, for the model's whole context: `[kvHeads][context][headDim]`
/// per layer. Falcon-7B's one K/V head makes this about 32 MB per 2048-token sequence in f32.
///
/// It also remembers which tokens it holds, so that a new prompt sharing a prefix with a cached one copies
/// that prefix instead of computing it again.
public final class KVCache {
    let keys: [Buffer]
    let values: [Buffer]
    let kvHeads: Int, context: Int, headDim: Int
    /// The tokens whose keys and values are held, in order (the next token's position is their count).
    public internal(set) var tokens: [TokenID] = []

    public var position: Int { tokens.count }
    /// How many leading positions were computed as prompt tokens. Only those are shared with a new prompt:
    /// a generated token's keys come from the decode route, and a prompt recomputing it would use the
    /// prefill route, so sharing them would make a sequence's numbers depend on what ran before it.
    var promptPositions = 0

    init(config: FalconConfig) {
        kvHeads = config.kvHeadCount
        context = config.contextLength
        headDim = config.headDimension
        let size = kvHeads * context * headDim
        keys = (0..<config.layerCount).map { _ in Buffer(size) }
        values = (0..<config.layerCount).map { _ in Buffer(size) }
    }

    /// Bytes held for one sequence of a model.
    public static func bytes(for config: FalconConfig) -> Int {
        2 * config.layerCount * config.kvHeadCount * config.contextLength * config.headDimension * MemoryLayout<Float>.stride
    }

    /// Forgets the sequence; the memory is reused.
    public func reset() {
        tokens.removeAll(keepingCapacity: true)
        promptPositions = 0
    }

    /// Keeps only the first `count` positions.
    func truncate(to count: Int) {
        tokens.removeLast(tokens.count - min(count, tokens.count))
        promptPositions = min(promptPositions, tokens.count)
    }

    /// Records tokens whose keys and values a pass just stored.
    func append(_ new: ArraySlice<TokenID>, generated: Bool) {
        if !generated, promptPositions == tokens.count { promptPositions += new.count }
        tokens.append(contentsOf: new)
    }

    /// Becomes the first `count` positions of `other` (a shared prompt prefix): the same numbers it would have
    /// computed, since a position's keys and values depend only on the tokens up to it.
    func copyPrefix(of other: KVCache, count: Int) {
        precondition(count <= other.position && other !== self)
        for layer in keys.indices {
            for g in 0..<kvHeads {
                let offset = g * context * headDim
                (keys[layer].pointer + offset).update(from: other.keys[layer].pointer + offset, count: count * headDim)
                (values[layer].pointer + offset).update(from: other.values[layer].pointer + offset, count: count * headDim)
            }
        }
        tokens = Array(other.tokens.prefix(count))
        promptPositions = min(count, other.promptPositions)
    }

    /// How many leading tokens of `prompt` this cache holds as prompt positions.
    func sharedPrefix(with prompt: [TokenID]) -> Int {
        Self.commonPrefix(tokens.prefix(promptPositions), prompt[...])
    }

    /// How many leading tokens two sequences share.
    static func commonPrefix(_ a: ArraySlice<TokenID>, _ b: ArraySlice<TokenID>) -> Int {
        zip(a, b).prefix { $0 == $1 }.count
    }
}
