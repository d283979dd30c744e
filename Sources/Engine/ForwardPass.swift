import Foundation
import Kernels
import ModelFiles
import Tokenization

/// Falcon's forward pass over a set of rows drawn from one or more sequences: each a run of consecutive tokens
/// of one sequence (a prompt chunk, or the one token a decoding sequence adds), appended to that sequence's
/// `KVCache`. Every weight matrix is applied to all rows at once (read from memory once per pass), attention
/// runs per row over its own sequence's cache.
///
/// All scratch is allocated up front for `maximumRows` rows, so a pass allocates nothing.
final class ForwardPass {
    /// A run of consecutive tokens of one sequence.
    struct Segment {
        /// Which rows' final hidden states are wanted.
        enum Keep { case none, last, every }

        var cache: KVCache
        var tokens: ArraySlice<TokenID>
        /// Every row (scoring), the last (generation), or none (a prompt chunk with more to come).
        var keep: Keep
        /// A token the model generated (one row), rather than prompt tokens. With independent rows, generated
        /// rows take the decode route and prompt rows the prefill route, each the same for a row in any batch;
        /// generated segments come first in a pass.
        var generated = false
    }

    /// How products treat the rows.
    enum Arithmetic {
        /// Each row computed the same way whatever else is in the pass: a generated token as a one-token decode
        /// computes it (`MatrixProduct.multiplyEachToken`), a prompt token by the prefill route, which treats
        /// every row alike (`multiplyPromptRows`), attention split the same way whatever the row count. A
        /// sequence's numbers then do not depend on the batch, nor on how its prompt was cut into chunks.
        case independentRows
        /// The fastest route for the row count (prefill tiles for many rows). Scoring and single-sequence use.
        case fastest
    }

    let model: FalconModel
    let maximumRows: Int
    let arithmetic: Arithmetic
    let product: MatrixProduct
    private let config: FalconConfig
    private let hidden: Int, heads: Int, kvHeads: Int, headDim: Int, qkvDim: Int, ffn: Int, context: Int, vocab: Int
    // Activations, [maximumRows × width] each.
    let x: Buffer, normed: Buffer
    private let mlpNormed: Buffer, qkv: Buffer, attention: Buffer, projected: Buffer, up: Buffer, down: Buffer
    /// Per worker: attention scores of one row's heads in one K/V group, [heads per group × context].
    private let scores: [Buffer]
    /// Per row of the pass: its cache and its position in that cache.
    private var rowCaches: [KVCache] = []
    private var rowPositions: [Int] = []
    /// How many leading rows of the pass are generated tokens.
    private var generatedRows = 0
    /// Debugging hook: (layer, hidden states, rows) before the first layer (layer 0, the embeddings) and after
    /// each layer (layer i + 1), as transformers' `hidden_states`; after the last layer only the kept rows.
    var layerObserver: ((Int, UnsafePointer<Float>, Int) -> Void)?

    init(model: FalconModel, maximumRows: Int, arithmetic: Arithmetic) {
        self.model = model
        self.arithmetic = arithmetic
        config = model.config
        hidden = config.hiddenSize
        heads = config.headCount
        kvHeads = config.kvHeadCount
        headDim = config.headDimension
        qkvDim = (heads + 2 * kvHeads) * headDim
        ffn = config.feedForwardSize
        context = config.contextLength
        vocab = config.vocabularySize
        self.maximumRows = max(1, maximumRows)
        let b = self.maximumRows
        product = MatrixProduct(pool: model.pool, maximumColumns: max(hidden, ffn), maximumTokens: max(b, InferenceSession.logitRowsPerProduct))
        x = Buffer(b * hidden)
        normed = Buffer(b * hidden)
        mlpNormed = Buffer(b * hidden)
        qkv = Buffer(b * qkvDim)
        attention = Buffer(b * hidden)
        projected = Buffer(b * hidden)
        up = Buffer(b * ffn)
        down = Buffer(b * hidden)
        let scoreCount = (config.headCount / config.kvHeadCount) * config.contextLength
        scores = (0..<model.pool.threadCount).map { _ in Buffer(scoreCount) }
    }

    /// `y = x · Wᵀ (+ b)` with the pass's arithmetic.
    private func apply(_ linear: Linear, _ input: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        switch arithmetic {
        case .independentRows:
            let generated = min(generatedRows, rows), k = linear.weight.columns, n = linear.weight.rows
            if generated > 0 { product.multiplyEachToken(input, tokens: generated, by: linear.weight, into: y) }
            if rows > generated {
                product.multiplyPromptRows(input + generated * k, tokens: rows - generated, by: linear.weight, into: y + generated * n)
            }
        case .fastest:
            product.multiply(input, tokens: rows, by: linear.weight, into: y)
        }
        linear.addBias(to: y, rows: rows)
    }

    /// Runs the segments (`maximumRows` tokens at most in all) through every layer, appending their tokens
    /// to their caches. Returns how many rows of `x` hold final hidden states: per segment in order, the rows
    /// it keeps, packed from row 0.
    ///
    /// Every layer must fill the caches with every token's keys and values, but past the last layer's QKV
    /// product only the kept rows matter: the others skip its attention, dense and MLP (llama.cpp does the
    /// same). That is 1/32 of a prompt's work on Claire-7B.
    func run(_ segments: [Segment]) -> Int {
        rowCaches.removeAll(keepingCapacity: true)
        rowPositions.removeAll(keepingCapacity: true)
        var kept: [Int] = []
        let weights = model.weights
        generatedRows = 0
        for segment in segments {
            if segment.generated {
                precondition(generatedRows == rowCaches.count && segment.tokens.count == 1, "generated rows come first, one per segment")
                generatedRows += 1
            }
            precondition(segment.cache.position + segment.tokens.count <= context)
            for (i, token) in segment.tokens.enumerated() {
                let row = rowCaches.count
                weights.embedding.dequantizeRow(Int(token), into: x.pointer + row * hidden)
                rowCaches.append(segment.cache)
                rowPositions.append(segment.cache.position + i)
                if segment.keep == .every || (segment.keep == .last && i == segment.tokens.count - 1) { kept.append(row) }
            }
        }
        let count = rowCaches.count
        precondition(count <= maximumRows)
        layerObserver?(0, x.pointer, count)

        var rows = count
        for (layerIndex, layer) in weights.layers.enumerated() {
            layerNorm(layer.layout.attentionNorm, x.pointer, normed.pointer, rows: rows)
            apply(layer.qkv, normed.pointer, rows: rows, into: qkv.pointer)
            storeKeysAndValues(layer: layerIndex, rows: rows)
            if layerIndex == weights.layers.count - 1, kept.count < rows {
                keepOnly(kept)
                rows = kept.count
                if rows == 0 { break }
            }
            if case let .parallelTwoNorms(_, mlpNorm) = layer.layout {
                layerNorm(mlpNorm, x.pointer, mlpNormed.pointer, rows: rows)
            }
            attend(layer: layerIndex, rows: rows)
            apply(layer.dense, attention.pointer, rows: rows, into: projected.pointer)

            switch layer.layout {
            case .parallel, .parallelTwoNorms:
                mlp(layer, input: layer.layout.hasOwnMLPNorm ? mlpNormed.pointer : normed.pointer, rows: rows)
                addInPlace(x.pointer, projected.pointer, down.pointer, rows * hidden)
            case let .sequential(_, postAttentionNorm):
                addInPlace(x.pointer, projected.pointer, nil, rows * hidden)
                layerNorm(postAttentionNorm, x.pointer, normed.pointer, rows: rows)
                mlp(layer, input: normed.pointer, rows: rows)
                addInPlace(x.pointer, down.pointer, nil, rows * hidden)
            }
            layerObserver?(layerIndex + 1, x.pointer, rows)
        }
        for segment in segments { segment.cache.append(segment.tokens, generated: segment.generated) }
        return rows
    }

    /// Moves the kept rows (ascending) of the residual, the normed input and the QKV to the front.
    private func keepOnly(_ kept: [Int]) {
        generatedRows = kept.count { $0 < generatedRows }
        for (to, from) in kept.enumerated() where to != from {
            (x.pointer + to * hidden).update(from: x.pointer + from * hidden, count: hidden)
            (normed.pointer + to * hidden).update(from: normed.pointer + from * hidden, count: hidden)
            (qkv.pointer + to * qkvDim).update(from: qkv.pointer + from * qkvDim, count: qkvDim)
            rowCaches[to] = rowCaches[from]
            rowPositions[to] = rowPositions[from]
        }
    }

    /// The final layer norm of row `row` of `x`, into row `row` of `normed`.
    func finalNorm(row: Int) {
        let norm = model.weights.finalNorm
        layerNorm(norm, x.pointer + row * hidden, normed.pointer + row * hidden, rows: 1)
    }

    /// Logits of `rows` rows of `normed` (final-normed), into `logits` (`rows × vocab`).
    func logits(rows: Int, from first: Int = 0, into logits: UnsafeMutablePointer<Float>) {
        let input = normed.pointer + first * hidden
        switch arithmetic {
        case .independentRows: product.multiplyEachToken(input, tokens: rows, by: model.weights.output, into: logits)
        case .fastest: product.multiply(input, tokens: rows, by: model.weights.output, into: logits)
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

    private func mlp(_ layer: LayerWeights, input: UnsafePointer<Float>, rows: Int) {
        apply(layer.up, input, rows: rows, into: up.pointer)
        let values = up.pointer
        model.pool.parallelFor(rows * ffn) { _, range in
            for i in range { values[i] = VectorMath.gelu(values[i]) }
        }
        apply(layer.down, up.pointer, rows: rows, into: down.pointer)
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

    /// Applies RoPE to the queries and keys of every row and copies keys and values into the row's cache.
    private func storeKeysAndValues(layer: Int, rows: Int) {
        let half = headDim / 2
        for t in 0..<rows {
            let row = qkv.pointer + t * qkvDim
            let p = rowPositions[t]
            let cache = rowCaches[t]
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
                (cache.keys[layer].pointer + slot).update(from: row + keyOffset(g), count: headDim)
                (cache.values[layer].pointer + slot).update(from: row + valueOffset(g), count: headDim)
            }
        }
    }

    /// Causal attention of rows `0..<rows` over their caches; row t's output goes to row t of `attention`.
    ///
    /// The query heads that share one K/V head (all 71 of Falcon-7B's) are contiguous in the QKV row and in the
    /// output row, so for one row and one K/V group the scores are a single small matrix product
    /// [heads of the group × head dim] · Kᵀ over the positions that row sees, and the output another. Reading
    /// the cached K and V once per group instead of once per head is what keeps decode at depth close to decode
    /// from an empty cache: per token that is one pass over the cache per layer instead of 71. Only the visible
    /// (causal) positions are computed, so a prompt also does half the work of a full square of scores.
    private func attend(layer: Int, rows: Int) {
        let scale = 1 / Float(headDim).squareRoot()
        let perGroup = heads / kvHeads
        let alibiSlopes: [Float]? = if case let .alibi(slopes) = model.positions { slopes } else { nil }
        // Work items are (row, group, slice of the group's heads). A single decoded token on a multi-query model
        // is one group: its heads are split so that every worker has a share. With independent rows the split
        // is the same whatever the row count, so that each head's product has the same shape in any batch.
        let groupItems = rows * kvHeads
        let workers = model.pool.threadCount
        let slices = switch arithmetic {
        case .independentRows: min(perGroup, workers)
        case .fastest: groupItems >= 2 * workers ? 1 : min(perGroup, workers)
        }
        let headsPerSlice = (perGroup + slices - 1) / slices
        model.pool.parallelFor(groupItems * slices) { worker, itemRange in
            let s = scores[worker].pointer
            for item in itemRange {
                let slice = item % slices
                let g = (item / slices) % kvHeads
                let t = item / (slices * kvHeads)
                let firstHead = g * perGroup + slice * headsPerSlice
                let headCount = min(headsPerSlice, (g + 1) * perGroup - firstHead)
                guard headCount > 0 else { continue }
                let visible = rowPositions[t] + 1
                let cache = rowCaches[t]
                let k = cache.keys[layer].pointer + g * context * headDim
                let v = cache.values[layer].pointer + g * context * headDim
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
