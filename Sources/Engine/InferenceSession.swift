import Foundation
import Kernels
import ModelFiles
import Tokenization

/// One sequence being processed: its KV cache, its position and the scratch buffers of the forward pass.
///
/// Everything is allocated when the session is made (the cache for the model's whole context, activations
/// for `maximumBatch` tokens), so decoding allocates nothing. Longer prompts run in batches of that size.
public final class InferenceSession {
    public let model: FalconModel
    public let maximumBatch: Int
    /// How many tokens are in the cache (the position of the next token).
    public private(set) var position = 0

    private let config: FalconConfig
    private let product: MatrixProduct
    private let hidden: Int, heads: Int, kvHeads: Int, headDim: Int, qkvDim: Int, ffn: Int, context: Int, vocab: Int
    // Activations, [maximumBatch × width] each.
    private let x: Buffer, normed: Buffer, mlpNormed: Buffer, qkv: Buffer, attention: Buffer, projected: Buffer
    private let up: Buffer, down: Buffer
    /// Per worker: attention scores of one token's heads in one K/V group, [heads per group × context].
    private let scores: [Buffer]
    /// Per layer: K and V, [kvHeads][context][headDim].
    private let keys: [Buffer], values: [Buffer]
    /// Logits of the last token run.
    public private(set) var logits: [Float]
    /// Debugging hook: called with (layer, hidden states [rows × hidden], rows) before the first layer (layer
    /// 0, the embeddings) and after each layer (layer i + 1), as transformers' `hidden_states`: the rows the
    /// pass computed, which are every token's except after the last layer when only the last token's logits
    /// are wanted (then that one row). It only observes: the pass computes the same rows, and the same
    /// results, with or without it.
    var layerObserver: ((Int, UnsafePointer<Float>, Int) -> Void)?

    init(model: FalconModel, maximumBatch: Int) {
        self.model = model
        config = model.config
        hidden = config.hiddenSize
        heads = config.headCount
        kvHeads = config.kvHeadCount
        headDim = config.headDimension
        qkvDim = (heads + 2 * kvHeads) * headDim
        ffn = config.feedForwardSize
        context = config.contextLength
        vocab = config.vocabularySize
        self.maximumBatch = max(1, min(maximumBatch, context))
        let b = self.maximumBatch
        product = MatrixProduct(pool: model.pool, maximumColumns: max(hidden, ffn), maximumTokens: max(maximumBatch, Self.logitRowsPerProduct))
        x = Buffer(b * hidden)
        normed = Buffer(b * hidden)
        mlpNormed = Buffer(b * hidden)
        qkv = Buffer(b * qkvDim)
        attention = Buffer(b * hidden)
        projected = Buffer(b * hidden)
        up = Buffer(b * ffn)
        down = Buffer(b * hidden)
        let configuration = model.config
        let cacheSize = configuration.kvHeadCount * configuration.contextLength * configuration.headDimension
        scores = (0..<model.pool.threadCount).map { _ in Buffer((configuration.headCount / configuration.kvHeadCount) * configuration.contextLength) }
        keys = (0..<configuration.layerCount).map { _ in Buffer(cacheSize) }
        values = (0..<configuration.layerCount).map { _ in Buffer(cacheSize) }
        logits = [Float](repeating: 0, count: configuration.vocabularySize)
    }

    /// Forgets the sequence; the cache is reused.
    public func reset() {
        position = 0
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
        while done < tokens.count {
            let count = min(maximumBatch, tokens.count - done)
            tokens.withUnsafeBufferPointer { forward(UnsafeBufferPointer(rebasing: $0[done..<(done + count)]), everyRow: allRows) }
            if allRows {
                let finalRows = normed.pointer
                for t in 0..<count { finalNorm(x.pointer + t * hidden, finalRows + t * hidden) }
                let buffer = rowLogitsBuffer()
                var chunk = 0
                while chunk < count {
                    let rows = min(Self.logitRowsPerProduct, count - chunk)
                    product.multiply(finalRows + chunk * hidden, tokens: rows, by: model.weights.output, into: buffer)
                    try batchLogits(done + chunk, rows, buffer)
                    chunk += rows
                }
            }
            done += count
        }
        // The last token's logits, kept for sampling.
        let last = x.pointer + ((tokens.count - 1) % maximumBatch) * hidden
        finalNorm(last, normed.pointer)
        logits.withUnsafeMutableBufferPointer { out in
            product.multiply(normed.pointer, tokens: 1, by: model.weights.output, into: out.baseAddress!)
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

    private func finalNorm(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        let norm = model.weights.finalNorm
        norm.weight.withUnsafeBufferPointer { w in
            if let bias = norm.bias {
                bias.withUnsafeBufferPointer { b in
                    VectorMath.layerNorm(input, output, count: hidden, weight: w.baseAddress!, bias: b.baseAddress!, epsilon: config.layerNormEpsilon)
                }
            } else {
                VectorMath.layerNorm(input, output, count: hidden, weight: w.baseAddress!, bias: nil, epsilon: config.layerNormEpsilon)
            }
        }
    }

    private func layerNorm(_ norm: Norm, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int) {
        norm.weight.withUnsafeBufferPointer { w in
            let bias = norm.bias
            for t in 0..<rows {
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        VectorMath.layerNorm(input + t * hidden, output + t * hidden, count: hidden, weight: w.baseAddress!, bias: b.baseAddress!, epsilon: config.layerNormEpsilon)
                    }
                } else {
                    VectorMath.layerNorm(input + t * hidden, output + t * hidden, count: hidden, weight: w.baseAddress!, bias: nil, epsilon: config.layerNormEpsilon)
                }
            }
        }
    }

    /// Runs one batch (≤ maximumBatch tokens) through every layer, leaving the final hidden states in `x`:
    /// of every row if `everyRow`, else of the last row only. Every layer must fill the cache with every
    /// token's keys and values, but past the last layer's QKV product only the rows whose logits are wanted
    /// matter: a prompt's other rows skip the last layer's attention, dense and MLP (llama.cpp does the same).
    /// That is 1/32 of a prompt's work on Claire-7B, and most of it on a benchmark file with two layers.
    private func forward(_ tokens: UnsafeBufferPointer<TokenID>, everyRow: Bool) {
        let count = tokens.count
        let weights = model.weights
        for (t, token) in tokens.enumerated() { weights.embedding.dequantizeRow(Int(token), into: x.pointer + t * hidden) }
        layerObserver?(0, x.pointer, count)

        for (layerIndex, layer) in weights.layers.enumerated() {
            let isLast = layerIndex == weights.layers.count - 1
            // The rows carried past attention: all of them, or only the batch's last.
            let first = isLast && !everyRow ? count - 1 : 0
            let rows = count - first
            layerNorm(layer.layout.attentionNorm, x.pointer, normed.pointer, rows: count)
            if case let .parallelTwoNorms(_, mlpNorm) = layer.layout {
                layerNorm(mlpNorm, x.pointer + first * hidden, mlpNormed.pointer + first * hidden, rows: rows)
            }

            product.apply(layer.qkv, normed.pointer, tokens: count, into: qkv.pointer)
            storeKeysAndValues(layer: layerIndex, tokens: count)
            attend(layer: layerIndex, tokens: count, queries: first..<count)
            let xRows = x.pointer + first * hidden
            product.apply(layer.dense, attention.pointer + first * hidden, tokens: rows, into: projected.pointer)

            switch layer.layout {
            case .parallel, .parallelTwoNorms:
                let mlpInput = (layer.layout.hasOwnMLPNorm ? mlpNormed.pointer : normed.pointer) + first * hidden
                mlp(layer, input: mlpInput, tokens: rows)
                addInPlace(xRows, projected.pointer, down.pointer, rows * hidden)
            case let .sequential(_, postAttentionNorm):
                addInPlace(xRows, projected.pointer, nil, rows * hidden)
                layerNorm(postAttentionNorm, xRows, normed.pointer, rows: rows)
                mlp(layer, input: normed.pointer, tokens: rows)
                addInPlace(xRows, down.pointer, nil, rows * hidden)
            }
            layerObserver?(layerIndex + 1, x.pointer + first * hidden, rows)
        }
        position += count
    }

    private func mlp(_ layer: LayerWeights, input: UnsafePointer<Float>, tokens: Int) {
        product.apply(layer.up, input, tokens: tokens, into: up.pointer)
        let values = up.pointer
        model.pool.parallelFor(tokens * ffn) { _, range in
            for i in range { values[i] = VectorMath.gelu(values[i]) }
        }
        product.apply(layer.down, up.pointer, tokens: tokens, into: down.pointer)
    }

    private func addInPlace(_ target: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, _ count: Int) {
        if let b {
            for i in 0..<count { target[i] += a[i] + b[i] }
        } else {
            for i in 0..<count { target[i] += a[i] }
        }
    }

    /// Offsets of query head `h`, and of K and V of group `g`, inside one token's fused QKV row.
    @inline(__always)
    private func queryOffset(_ h: Int) -> Int {
        switch model.weights.qkvLayout {
        case .split: return h * headDim
        case .grouped:
            let perGroup = heads / kvHeads
            return ((h / perGroup) * (perGroup + 2) + h % perGroup) * headDim
        }
    }

    @inline(__always)
    private func keyOffset(_ g: Int) -> Int {
        switch model.weights.qkvLayout {
        case .split: return (heads + g) * headDim
        case .grouped: return (g * (heads / kvHeads + 2) + heads / kvHeads) * headDim
        }
    }

    @inline(__always)
    private func valueOffset(_ g: Int) -> Int {
        switch model.weights.qkvLayout {
        case .split: return (heads + kvHeads + g) * headDim
        case .grouped: return keyOffset(g) + headDim
        }
    }

    /// Applies RoPE to the queries and keys of the batch and copies keys and values into the cache.
    private func storeKeysAndValues(layer: Int, tokens: Int) {
        let half = headDim / 2
        for t in 0..<tokens {
            let row = qkv.pointer + t * qkvDim
            let p = position + t
            if case let .rotary(ropeCos, ropeSin) = model.positions {
                ropeCos.withUnsafeBufferPointer { cosTable in
                    ropeSin.withUnsafeBufferPointer { sinTable in
                        let cos = cosTable.baseAddress! + p * half, sin = sinTable.baseAddress! + p * half
                        func rotate(_ v: UnsafeMutablePointer<Float>) {
                            for i in 0..<half {
                                let a = v[i], b = v[i + half]
                                v[i] = a * cos[i] - b * sin[i]
                                v[i + half] = b * cos[i] + a * sin[i]
                            }
                        }
                        for h in 0..<heads { rotate(row + queryOffset(h)) }
                        for g in 0..<kvHeads { rotate(row + keyOffset(g)) }
                    }
                }
            }
            for g in 0..<kvHeads {
                let slot = (g * context + p) * headDim
                (keys[layer].pointer + slot).update(from: row + keyOffset(g), count: headDim)
                (values[layer].pointer + slot).update(from: row + valueOffset(g), count: headDim)
            }
        }
    }

    /// Causal attention of the batch's queries (the rows in `queries`) over the cached positions; row t's
    /// output goes to row t of `attention`.
    ///
    /// The query heads that share one K/V head (all 71 of Falcon-7B's) are contiguous in the QKV row and in the
    /// output row, so for one token and one K/V group the scores are a single small matrix product
    /// [heads of the group × head dim] · Kᵀ over the positions that token sees, and the output another. Reading
    /// the cached K and V once per group instead of once per head is what keeps decode at depth close to decode
    /// from an empty cache: per token that is one pass over the cache per layer instead of 71. Only the visible
    /// (causal) positions are computed, so a prompt also does half the work of a full square of scores.
    private func attend(layer: Int, tokens: Int, queries: Range<Int>) {
        let scale = 1 / Float(headDim).squareRoot()
        let perGroup = heads / kvHeads
        let start = position
        let alibiSlopes: [Float]? = if case let .alibi(slopes) = model.positions { slopes } else { nil }
        // Work items are (token, group, slice of the group's heads). A single decoded token on a multi-query
        // model is one group: split its heads so that every worker has a share.
        let groupItems = queries.count * kvHeads
        let slices = groupItems >= 2 * model.pool.threadCount ? 1 : min(perGroup, model.pool.threadCount)
        let headsPerSlice = (perGroup + slices - 1) / slices
        model.pool.parallelFor(groupItems * slices) { worker, itemRange in
            let s = scores[worker].pointer
            for item in itemRange {
                let slice = item % slices
                let g = (item / slices) % kvHeads
                let t = queries.lowerBound + item / (slices * kvHeads)
                let firstHead = g * perGroup + slice * headsPerSlice
                let headCount = min(headsPerSlice, (g + 1) * perGroup - firstHead)
                guard headCount > 0 else { continue }
                let visible = start + t + 1
                let k = keys[layer].pointer + g * context * headDim
                let v = values[layer].pointer + g * context * headDim
                // scores[h][j] = q_h · k_j, scaled here unless ALiBi must be added first (HF adds it before 1/√d).
                BLAS.multiplyTransposed(m: headCount, n: visible, k: headDim, alpha: alibiSlopes != nil ? 1 : scale,
                                        a: qkv.pointer + t * qkvDim + queryOffset(firstHead), lda: headDim, b: k, ldb: headDim,
                                        c: s, ldc: visible)
                for r in 0..<headCount {
                    let row = s + r * visible
                    if let alibiSlopes {
                        let slope = alibiSlopes[firstHead + r]
                        for j in 0..<visible {
                            // transformers multiplies bf16 slopes by the positions in bf16: reproduce the rounding.
                            let bias = HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: slope * Float(j)))
                            row[j] = (row[j] + bias) * scale
                        }
                    }
                    VectorMath.softmax(row, visible)
                }
                BLAS.multiply(m: headCount, n: headDim, k: visible, a: s, lda: visible, b: v, ldb: headDim,
                              c: attention.pointer + t * hidden + firstHead * headDim, ldc: headDim)
            }
        }
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
