/// `Y[T×N] = X[T×K] · Wᵀ` for a weight matrix W `[N, K]` of any computable type, on the thread pool: the one
/// place that chooses a kernel (`Route`), splits the work between workers in the kernels' own cache blocks,
/// and owns the scratch every route needs (allocated once, on cache-line boundaries).
///
/// One token (decode) is a matrix-vector product: each worker takes chunks of W's rows and dots them with x
/// (quantized to 8 bits once for the integer formats). Several tokens (prefill) are matrix-matrix: each worker
/// takes blocks of W's rows, so that a weight is read from memory once for all tokens, and the C panel kernel
/// widens or dequantizes a cache-sized block at a time and multiplies in f32 (or, for the legacy formats on
/// AVX-512 VNNI and the 4- and 5-bit ones on AVX2, the int8 kernel multiplies quantized activations as decode
/// does); without its AVX2 body,
/// 64-row tiles are dequantized into the worker's scratch for BLAS (f32 weights used in place).
///
/// The T rows of X are independent: they need not be consecutive tokens of one sequence. Decode of several
/// sequences at once is one product with T = their count, and takes the prefill routes (int8 tiles where
/// there are) by the same choice.
public final class MatrixProduct {
    public let pool: ThreadPool
    public let maximumColumns: Int
    public let maximumTokens: Int
    /// Which decode bodies run (the best by default; benchmarks and tests pin others).
    public let decodeBodies: QuantizedKernels.Bodies

    /// Per worker: a BLAS tile of dequantized rows, or the panel or int8 kernel's scratch.
    private let scratch: [UnsafeMutablePointer<Float>]
    /// One token's activations quantized for the integer dot products (Q8_0/Q8_1/Q8_K blocks, and for
    /// Q8_0/Q8_1 their regrouped copy).
    private let quantizedActivations: UnsafeMutableRawPointer
    /// Every token of a batch quantized and packed for `Int8Product` (empty where the CPU has no such body).
    private let packedActivations: UnsafeMutableRawPointer
    private let packedTokens: Int
    /// The input gathered into a regrouped matrix's column order (GPTQ act-order), grown on first use.
    private let gathered = GrowingScratch()

    /// Rows of the BLAS fallback's dequantized tiles.
    static let blasTileRows = 64
    /// Rows per chunk a decode worker takes: a multiple of the eight-row kernels, and small enough (a few
    /// hundred kB of weights) that the last chunks even out a slow core.
    static let decodeChunkRows = 64

    /// Scratch for products of up to `maximumTokens` rows of up to `maximumColumns` values.
    public init(pool: ThreadPool, maximumColumns: Int, maximumTokens: Int, decodeBodies: QuantizedKernels.Bodies = .best) {
        self.pool = pool
        self.maximumColumns = maximumColumns
        self.maximumTokens = maximumTokens
        self.decodeBodies = decodeBodies
        let int8Anywhere = TensorType.allCases.contains { Int8Product.isAvailable(type: $0, columns: 32) }
        packedTokens = int8Anywhere ? maximumTokens : 0
        packedActivations = UnsafeMutableRawPointer.allocate(
            byteCount: max(64, Int8Product.activationBytes(tokens: packedTokens, columns: maximumColumns)), alignment: 64)
        scratch = (0..<pool.threadCount).map { _ in
            let count = max(Self.blasTileRows * maximumColumns, PanelProduct.scratchCount, Int8Product.scratchBytes / 4)
            let tile = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
            tile.initialize(repeating: 0, count: count)
            return tile
        }
        let activationBytes = TensorType.weightFormats.map { QuantizedKernels.activationBytes(for: $0, columns: maximumColumns) }.max() ?? 0
        quantizedActivations = UnsafeMutableRawPointer.allocate(byteCount: max(64, activationBytes), alignment: 64)
        BLAS.useSingleThread()
    }

    deinit {
        for tile in scratch { tile.deallocate() }
        quantizedActivations.deallocate()
        packedActivations.deallocate()
    }

    /// Which kernel computes a product: chosen from the weight's storage type, its width and the token count.
    public enum Route: Equatable, Sendable {
        /// One token, quantized rows: x quantized to 8 bits once, integer dot products over the stored blocks.
        case integerDecode(TensorType)
        /// One token, 16-bit rows widened in registers.
        case halfDecode(bfloat16: Bool)
        /// Several tokens, weights with int8 tiles (`Int8Product`): the legacy formats on a CPU with AVX-512
        /// VNNI (2.4–2.7× the panels per core), the 4- and 5-bit ones on AVX2 (Q4_0 on a Zen 3 host, 2 threads:
        /// 2.5× the panels at 16 tokens, 1.7× at 64, 1.3× at 256).
        case int8Tiles
        /// Several tokens: the C panel kernel (`PanelProduct`). For Q8_0 without VNNI the panels measured faster
        /// than AVX2 int8 tiles that widen every product with a second multiply (+10 to +50 % per file), and
        /// than dequantized tiles + sgemm.
        case panels
        /// One token, f32 rows (or a type without a dedicated kernel, dequantized a row at a time).
        case floatRows
        /// Several tokens where the CPU has no panel kernel: dequantized 64-row tiles and BLAS.
        case blasTiles

        public init(type: TensorType, columns: Int, tokens: Int) {
            if tokens == 1 {
                if type.hasIntegerDecode { self = .integerDecode(type); return }
                if type == .f16 || type == .bf16 { self = .halfDecode(bfloat16: type == .bf16); return }
                self = .floatRows
                return
            }
            if Int8Product.isAvailable(type: type, columns: columns) { self = .int8Tiles; return }
            self = PanelProduct.isAvailable(type: type, columns: columns) ? .panels : .blasTiles
        }
    }

    /// `y[t][r] = Σ x[t][k] · W[r][k]` for `t < tokens`, with `ldy` = W.rows.
    public func multiply(_ x: UnsafePointer<Float>, tokens: Int, by weight: WeightMatrix, into y: UnsafeMutablePointer<Float>) {
        precondition(weight.columns <= maximumColumns)
        // A per-matrix transformation of the input columns (GPTQ's act-order regrouping) belongs here, and only
        // here: x's columns reordered once, then the route below runs on the result.
        let input = weight.columnOrder.map { gather(x, tokens: tokens, order: $0) } ?? x
        let n = weight.rows, k = weight.columns
        switch Route(type: weight.type, columns: k, tokens: tokens) {
        case .integerDecode(let format):
            QuantizedKernels.quantizeActivations(for: format, input, columns: k, into: quantizedActivations)
            let activations = UnsafeRawPointer(quantizedActivations)
            let bodies = decodeBodies
            pool.parallelChunks(n, chunk: Self.decodeChunkRows) { _, rows in
                QuantizedKernels.dotRows(format, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k,
                                         activations: activations, into: y, bodies: bodies)
            }
        case .halfDecode(let bfloat16):
            pool.parallelChunks(n, chunk: Self.decodeChunkRows) { _, rows in
                HalfRowDot.dotRows(bfloat16: bfloat16, input, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k, into: y)
            }
        case .int8Tiles where tokens <= packedTokens:
            let groups = (tokens + Int8Product.tokensPerGroup - 1) / Int8Product.tokensPerGroup
            pool.parallelFor(groups) { _, range in
                Int8Product.packActivations(input, tokens: tokens, columns: k, groups: range, into: packedActivations)
            }
            let packed = UnsafeRawPointer(packedActivations)
            pool.parallelChunks(n, chunk: Int8Product.rowBlock) { worker, rows in
                _ = Int8Product.multiply(type: weight.type, packed: packed, tokens: tokens, weights: weight.base,
                                         rowBytes: weight.rowBytes, rows: rows, columns: k, into: y, ldy: n,
                                         scratch: UnsafeMutableRawPointer(scratch[worker]))
            }
        case .int8Tiles, .panels:
            pool.parallelChunks(n, chunk: PanelProduct.rowBlock) { worker, rows in
                _ = PanelProduct.multiply(type: weight.type, input, tokens: tokens, weights: weight.base, rowBytes: weight.rowBytes,
                                          rows: rows, columns: k, into: y, ldy: n, scratch: scratch[worker])
            }
        case .floatRows:
            pool.parallelFor(n) { worker, rows in
                let tile = scratch[worker]
                for r in rows { y[r] = weight.dot(row: r, input, scratch: tile) }
            }
        case .blasTiles:
            multiplyByBLASTiles(input, tokens: tokens, weight, into: y)
        }
    }

    /// `y[t][r] = Σ x[t][k] · W[r][k]` like `multiply`, but each of the `tokens` rows computed exactly as a
    /// one-token product computes it (the decode route), while W is still read from memory once for all of them:
    /// each worker takes a chunk of W's rows and runs every token's dot products over it while it is in cache.
    ///
    /// This is what keeps a batched generation's output independent of the batch: a sequence's numbers are
    /// the same whether it runs alone or beside fifteen others, and the same as the single-sequence decode.
    public func multiplyEachToken(_ x: UnsafePointer<Float>, tokens: Int, by weight: WeightMatrix, into y: UnsafeMutablePointer<Float>) {
        precondition(weight.columns <= maximumColumns && tokens <= maximumTokens)
        guard tokens > 1 else { return multiply(x, tokens: tokens, by: weight, into: y) }
        let input = weight.columnOrder.map { gather(x, tokens: tokens, order: $0) } ?? x
        let n = weight.rows, k = weight.columns
        let sub = Self.eachTokenSubChunkRows
        switch Route(type: weight.type, columns: k, tokens: 1) {
        case .integerDecode(let format):
            let stride = QuantizedKernels.activationBytes(for: format, columns: k)
            let activations = eachTokenActivations.pointer(bytes: stride * tokens)
            pool.parallelFor(tokens) { _, range in
                for t in range { QuantizedKernels.quantizeActivations(for: format, input + t * k, columns: k, into: activations + t * stride) }
            }
            let bodies = decodeBodies
            guard bodies != .best else {
                // The activations' per-block terms once for the product, not once per chunk of rows.
                let termBytes = QuantizedKernels.columnTermsBytes(format, columns: k, tokens: tokens)
                var terms: UnsafeRawPointer?
                if termBytes > 0 {
                    let storage = columnTermsStorage.pointer(bytes: termBytes)
                    QuantizedKernels.columnTerms(format, activations: UnsafeRawPointer(activations), activationStride: stride, columns: k,
                                                 tokens: tokens, into: storage)
                    terms = UnsafeRawPointer(storage)
                }
                // The chunks are decode's, so each token's rows fall into the same eight-row bodies as alone.
                pool.parallelChunks(n, chunk: Self.decodeChunkRows) { _, rows in
                    QuantizedKernels.dotRowsEachToken(format, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k,
                                                      activations: UnsafeRawPointer(activations), activationStride: stride, tokens: tokens,
                                                      terms: terms, into: y, outputStride: n)
                }
                return
            }
            pool.parallelChunks(n, chunk: Self.decodeChunkRows) { _, rows in
                for first in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: sub) {
                    let part = first..<min(first + sub, rows.upperBound)
                    for t in 0..<tokens {
                        QuantizedKernels.dotRows(format, weights: weight.base, rowBytes: weight.rowBytes, rows: part, columns: k,
                                                 activations: UnsafeRawPointer(activations + t * stride), into: y + t * n, bodies: bodies)
                    }
                }
            }
        case .halfDecode(let bfloat16):
            pool.parallelChunks(n, chunk: Self.decodeChunkRows) { _, rows in
                for first in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: sub) {
                    let part = first..<min(first + sub, rows.upperBound)
                    for t in 0..<tokens {
                        HalfRowDot.dotRows(bfloat16: bfloat16, input + t * k, weights: weight.base, rowBytes: weight.rowBytes, rows: part,
                                           columns: k, into: y + t * n)
                    }
                }
            }
        default:
            pool.parallelFor(n) { worker, rows in
                let tile = scratch[worker]
                for r in rows {
                    for t in 0..<tokens { y[t * n + r] = weight.dot(row: r, input + t * k, scratch: tile) }
                }
            }
        }
    }

    /// `y[t][r] = Σ x[t][k] · W[r][k]` by the route `multiply` takes for several tokens (prefill tiles), even for
    /// one: those routes compute each token's row the same way whatever the token count, so a prompt gives the
    /// same numbers however it is cut into chunks. A single token that would go to BLAS is paired with a copy
    /// of itself, since BLAS may treat a one-row product as a matrix-vector one.
    public func multiplyPromptRows(_ x: UnsafePointer<Float>, tokens: Int, by weight: WeightMatrix, into y: UnsafeMutablePointer<Float>) {
        guard tokens == 1 else { return multiply(x, tokens: tokens, by: weight, into: y) }
        let n = weight.rows, k = weight.columns
        let input = weight.columnOrder.map { gather(x, tokens: 1, order: $0) } ?? x
        switch Route(type: weight.type, columns: k, tokens: 2) {
        case .int8Tiles where packedTokens >= 1:
            let packed = UnsafeRawPointer(packedActivations)
            Int8Product.packActivations(input, tokens: 1, columns: k, groups: 0..<1, into: packedActivations)
            pool.parallelChunks(n, chunk: Int8Product.rowBlock) { worker, rows in
                _ = Int8Product.multiply(type: weight.type, packed: packed, tokens: 1, weights: weight.base,
                                         rowBytes: weight.rowBytes, rows: rows, columns: k, into: y, ldy: n,
                                         scratch: UnsafeMutableRawPointer(scratch[worker]))
            }
        case .int8Tiles, .panels:
            pool.parallelChunks(n, chunk: PanelProduct.rowBlock) { worker, rows in
                _ = PanelProduct.multiply(type: weight.type, input, tokens: 1, weights: weight.base, rowBytes: weight.rowBytes,
                                          rows: rows, columns: k, into: y, ldy: n, scratch: scratch[worker])
            }
        default:
            let pair = pairBuffer.floats(4 * max(n, k))
            pair.update(from: input, count: k)
            (pair + k).update(from: input, count: k)
            let out = pair + 2 * k
            multiplyByBLASTiles(UnsafePointer(pair), tokens: 2, weight, into: out)
            y.update(from: out, count: n)
        }
    }

    /// Two rows of input and two of output for `multiplyPromptRows`'s single BLAS token.
    private let pairBuffer = GrowingScratch()

    /// Rows whose dot products every token runs before the next rows: about 40 kB of Q4_0 at Falcon-7B's
    /// width, so they stay in L1/L2 while the tokens pass over them.
    static let eachTokenSubChunkRows = 16

    /// Every token's quantized activations for `multiplyEachToken`, and their per-block terms.
    private let eachTokenActivations = GrowingScratch()
    private let columnTermsStorage = GrowingScratch()

    /// `x` with each token's columns in `order` (stored column j ← input column `order[j]`).
    private func gather(_ x: UnsafePointer<Float>, tokens: Int, order: [Int32]) -> UnsafePointer<Float> {
        let k = order.count
        let destination = gathered.floats(tokens * k)
        order.withUnsafeBufferPointer { order in
            for t in 0..<tokens {
                let from = x + t * k, to = destination + t * k
                for j in 0..<k { to[j] = from[Int(order[j])] }
            }
        }
        return UnsafePointer(destination)
    }

    private func multiplyByBLASTiles(_ x: UnsafePointer<Float>, tokens: Int, _ weight: WeightMatrix, into y: UnsafeMutablePointer<Float>) {
        let n = weight.rows, k = weight.columns
        let tileCount = (n + Self.blasTileRows - 1) / Self.blasTileRows
        pool.parallelFor(tileCount) { worker, tileRange in
            let tile = scratch[worker]
            for index in tileRange {
                let first = index * Self.blasTileRows
                let count = min(Self.blasTileRows, n - first)
                let rows: UnsafePointer<Float>
                if let direct = weight.floatRow(first) {
                    rows = direct
                } else {
                    for r in 0..<count { weight.dequantizeRow(first + r, into: tile + r * k) }
                    rows = UnsafePointer(tile)
                }
                BLAS.multiplyTransposed(m: tokens, n: count, k: k, a: x, lda: k, b: rows, ldb: k, c: y + first, ldc: n)
            }
        }
    }
}

/// 64-byte-aligned scratch that grows on first use to the largest size asked, then stays.
private final class GrowingScratch {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    func pointer(bytes: Int) -> UnsafeMutableRawPointer {
        if storage.count < bytes {
            storage.deallocate()
            storage = .allocate(byteCount: bytes, alignment: 64)
        }
        return storage.baseAddress!
    }

    /// The same bytes as `count` floats.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        pointer(bytes: count * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: count)
    }

    deinit { storage.deallocate() }
}
