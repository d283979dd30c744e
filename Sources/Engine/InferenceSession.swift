import Foundation
import Kernels
import ModelFiles
import Tokenization

/// One sequence being scored or extended on its own: its KV cache and a forward pass with the fastest
/// route for each product (prefill tiles for a prompt). Generation runs through `BatchGenerator`, whose passes
/// keep rows independent; this is for scoring (perplexity, logits of every row) and the reference tests.
///
/// Everything is allocated when the session is made (the cache for the model's whole context, activations
/// for `maximumBatch` tokens), so appending allocates nothing. Longer prompts run in batches of that size.
public final class InferenceSession {
    public let model: FalconModel
    public let maximumBatch: Int
    /// How many tokens are in the cache (the position of the next token).
    public var position: Int { cache.position }

    let cache: KVCache
    private let pass: ForwardPass
    private let hidden: Int, context: Int, vocab: Int
    /// Logits of the last token run.
    public private(set) var logits: [Float]
    /// Debugging hook: called with (layer, hidden states [rows × hidden], rows) before the first layer (layer
    /// 0, the embeddings) and after each layer (layer i + 1), as transformers' `hidden_states`: the rows the
    /// pass computed, which are every token's except after the last layer when only the last token's logits
    /// are wanted (then that one row). It only observes: the pass computes the same rows, and the same
    /// results, with or without it.
    var layerObserver: ((Int, UnsafePointer<Float>, Int) -> Void)? {
        get { pass.layerObserver }
        set { pass.layerObserver = newValue }
    }

    init(model: FalconModel, maximumBatch: Int) {
        self.model = model
        let config = model.config
        hidden = config.hiddenSize
        context = config.contextLength
        vocab = config.vocabularySize
        self.maximumBatch = max(1, min(maximumBatch, context))
        cache = KVCache(config: config)
        pass = ForwardPass(model: model, maximumRows: self.maximumBatch, arithmetic: .fastest)
        logits = [Float](repeating: 0, count: config.vocabularySize)
    }

    /// Forgets the sequence; the cache is reused.
    public func reset() {
        cache.reset()
    }

    /// Appends `tokens` to the sequence and returns the logits of the last one (also kept in `logits`).
    @discardableResult
    public func append(_ tokens: [TokenID]) throws -> [Float] {
        try appendTokens(tokens, allRows: false) { _, _, _ in }
        return logits
    }

    /// Appends `tokens`; calls `rowLogits(index, logits)` for every token's logits (for scoring), in order.
    /// The logits pointer is valid only during the call.
    public func append(_ tokens: [TokenID], everyRow rowLogits: (Int, UnsafePointer<Float>) throws -> Void) throws {
        try append(tokens) { first, count, rows in
            for t in 0..<count { try rowLogits(first + t, rows + t * vocab) }
        }
    }

    /// Appends `tokens`; calls `batchLogits(first, count, rows)` with the logits of tokens `first ..< first+count`
    /// (row-major, `count × vocabularySize`), in order. The pointer is valid only during the call.
    public func append(_ tokens: [TokenID], everyBatch batchLogits: (Int, Int, UnsafePointer<Float>) throws -> Void) throws {
        try appendTokens(tokens, allRows: true, batchLogits)
    }

    /// Rows of logits computed per output product when every row is wanted (bounds the buffer: vocab is large).
    static let logitRowsPerProduct = 64

    private func appendTokens(_ tokens: [TokenID], allRows: Bool, _ batchLogits: (Int, Int, UnsafePointer<Float>) throws -> Void) throws {
        guard !tokens.isEmpty else { throw EngineError.emptyPrompt }
        guard position + tokens.count <= context else {
            throw EngineError.promptTooLong(tokens: position + tokens.count, context: context)
        }
        for id in tokens where id < 0 || Int(id) >= vocab { throw EngineError.tokenOutOfRange(id: Int(id), vocabularySize: vocab) }
        var done = 0
        var lastRow = 0
        while done < tokens.count {
            let count = min(maximumBatch, tokens.count - done)
            let rows = pass.run([ForwardPass.Segment(cache: cache, tokens: tokens[done..<(done + count)], keep: allRows ? .every : .last)])
            lastRow = rows - 1
            if allRows {
                for t in 0..<count { pass.finalNorm(row: t) }
                let buffer = rowLogitsBuffer()
                var chunk = 0
                while chunk < count {
                    let n = min(Self.logitRowsPerProduct, count - chunk)
                    pass.logits(rows: n, from: chunk, into: buffer)
                    try batchLogits(done + chunk, n, buffer)
                    chunk += n
                }
            }
            done += count
        }
        // The last token's logits, kept for sampling.
        pass.finalNorm(row: lastRow)
        logits.withUnsafeMutableBufferPointer { out in
            pass.logits(rows: 1, from: lastRow, into: out.baseAddress!)
        }
    }

    /// Allocated on first use only: generation never needs it.
    private var scoringLogits: Buffer?
    private func rowLogitsBuffer() -> UnsafeMutablePointer<Float> {
        if let scoringLogits { return scoringLogits.pointer }
        let buffer = Buffer(Self.logitRowsPerProduct * vocab)
        scoringLogits = buffer
        return buffer.pointer
    }

    /// Appends tokens and keeps only the last logits (prompt prefill and decoding).
    public func appendKeepingLast(_ tokens: [TokenID]) throws {
        try appendTokens(tokens, allRows: false) { _, _, _ in }
    }
}

/// A fixed-size, zero-initialized float buffer owned by a session, on a cache-line boundary (the kernels'
/// 32-byte loads would otherwise straddle lines: the f16 prefill measured 13 % slower on malloc's alignment).
final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = max(count, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: self.count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: self.count)
        pointer.initialize(repeating: 0, count: self.count)
    }

    deinit { pointer.deallocate() }
}
