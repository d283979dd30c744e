import Kernels
import ModelFiles

/// `Y[T×N] = X[T×K] · Wᵀ` for a weight matrix W `[N, K]` in any supported format, on the thread pool.
///
/// One token (decode) is a matrix-vector product: each worker takes a slice of W's rows and dots them with
/// x (quantized to 8 bits once for the integer formats). Several tokens (prefill) are matrix-matrix: each
/// worker takes blocks of W's rows, so that a weight is read from memory once for all tokens, and the C panel
/// kernel widens or dequantizes a cache-sized block at a time and multiplies in f32 (or, for the legacy
/// formats on AVX-512 VNNI, the int8 kernel multiplies quantized activations as decode does); without its
/// AVX2 body, 64-row tiles are dequantized into the worker's scratch for BLAS (f32 weights used in place).
/// Scratch is allocated once, here, on cache-line boundaries.
final class LinearKernels {
    let pool: ThreadPool
    static let tileRows = 64
    private let tiles: [UnsafeMutablePointer<Float>]
    private let maximumColumns: Int
    /// One token's activations quantized for the integer dot products (Q8_0/Q8_1/Q8_K blocks, and for
    /// Q8_0/Q8_1 their regrouped copy).
    private let quantizedActivations: UnsafeMutableRawPointer

    /// Every token of a batch quantized and packed for `Int8Product` (empty where the CPU has no such body).
    private let packedActivations: UnsafeMutableRawPointer
    private let packedTokens: Int
    /// GPTQ hook: the input gathered into a regrouped weight's column order (`gatherColumns`), grown on demand.
    private var gatheredInputs = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)

    init(pool: ThreadPool, maximumColumns: Int, maximumTokens: Int) {
        self.pool = pool
        self.maximumColumns = maximumColumns
        packedTokens = Int8Product.isAvailable(type: TensorType.q8_0.rawValue, columns: 32) ? maximumTokens : 0
        packedActivations = UnsafeMutableRawPointer.allocate(
            byteCount: max(64, Int8Product.activationBytes(tokens: packedTokens, columns: maximumColumns)), alignment: 64)
        tiles = (0..<pool.threadCount).map { _ in
            let count = max(Self.tileRows * maximumColumns, PanelProduct.scratchCount, Int8Product.scratchBytes / 4)
            let tile = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
            tile.initialize(repeating: 0, count: count)
            return tile
        }
        let activationBytes = QuantFormat.weightFormats.map { QuantizedKernels.activationBytes(for: $0, columns: maximumColumns) }.max() ?? 0
        quantizedActivations = UnsafeMutableRawPointer.allocate(byteCount: max(64, activationBytes), alignment: 64)
        BLAS.useSingleThread()
    }

    deinit {
        for tile in tiles { tile.deallocate() }
        quantizedActivations.deallocate()
        packedActivations.deallocate()
        gatheredInputs.deallocate()
    }

    /// Storage types whose prefill runs on the f32 panel kernel (`PanelProduct`): all of them where the CPU
    /// has its body, except the legacy formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) where it also has AVX-512 VNNI
    /// (`Int8Product`, 2.4–2.7× the panels per core). Without VNNI the panels measured faster than AVX2 int8
    /// tiles (+10 to +50 % per file) and than dequantized tiles + sgemm.
    static let panelPrefillTypes: Set<TensorType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    func apply(_ linear: Linear, _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>) {
        multiply(x, tokens: tokens, linear.weight, into: y)
        if let bias = linear.bias {
            let n = linear.weight.rows
            bias.withUnsafeBufferPointer { b in
                for t in 0..<tokens {
                    let row = y + t * n
                    for i in 0..<n { row[i] += b[i] }
                }
            }
        }
    }

    /// Which kernel computes a product: chosen from the weight's storage type, its width and the token count.
    enum Route: Equatable {
        /// One token, quantized rows: x quantized to 8 bits once, integer dot products over the stored blocks.
        case integerDecode(QuantFormat)
        /// One token, 16-bit rows widened in registers.
        case halfDecode(bfloat16: Bool)
        /// Several tokens, legacy-format weights (Q4_0…Q8_0) on a CPU with AVX-512 VNNI: 8-bit integer tiles
        /// (`Int8Product`).
        case int8Tiles
        /// Several tokens: the C panel kernel (`PanelProduct`).
        case panels
        /// One token, f32 rows (or a type without a dedicated kernel, dequantized a row at a time).
        case floatRows
        /// Several tokens where the CPU has no panel kernel: dequantized 64-row tiles and BLAS.
        case blasTiles
    }

    /// Rows per chunk a decode worker takes: a multiple of the eight-row kernels, and small enough (a few
    /// hundred kB of weights) that the last chunks even out a slow core.
    static let decodeChunkRows = 64

    static func route(for type: TensorType, columns: Int, tokens: Int) -> Route {
        if tokens == 1 {
            if let format = QuantFormat.weightFormats.first(where: { $0.rawValue == type.rawValue }) { return .integerDecode(format) }
            if type == .f16 || type == .bf16 { return .halfDecode(bfloat16: type == .bf16) }
            return .floatRows
        }
        if Int8Product.isAvailable(type: type.rawValue, columns: columns) { return .int8Tiles }
        return Self.panelPrefillTypes.contains(type) && PanelProduct.isAvailable(type: type.rawValue, columns: columns) ? .panels : .blasTiles
    }

    /// `y[t][r] = Σ x[t][k] · W[r][k]` with `ldy` = W.rows.
    func multiply(_ x: UnsafePointer<Float>, tokens: Int, _ weight: WeightMatrix, into y: UnsafeMutablePointer<Float>) {
        precondition(weight.columns <= maximumColumns)
        // GPTQ hook: a layer regrouped by g_idx stores its input columns in another order; gather x to match.
        let x = weight.columnOrder.map { gatherColumns(x, tokens: tokens, order: $0) } ?? x
        let n = weight.rows, k = weight.columns
        switch Self.route(for: weight.type, columns: k, tokens: tokens) {
        case .integerDecode(let format):
            QuantizedKernels.quantizeActivations(for: format, x, columns: k, into: quantizedActivations)
            let activations = UnsafeRawPointer(quantizedActivations)
            pool.parallelChunks(n, chunk: Self.decodeChunkRows) { _, rows in
                QuantizedKernels.dotRows(format, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k,
                                         activations: activations, into: y)
            }
        case .halfDecode(let bfloat16):
            pool.parallelChunks(n, chunk: Self.decodeChunkRows) { _, rows in
                HalfRowDot.dotRows(bfloat16: bfloat16, x, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k, into: y)
            }
        case .int8Tiles where tokens <= packedTokens:
            let groups = (tokens + Int8Product.tokensPerGroup - 1) / Int8Product.tokensPerGroup
            pool.parallelFor(groups) { _, range in
                Int8Product.packActivations(x, tokens: tokens, columns: k, groups: range, into: packedActivations)
            }
            let packed = UnsafeRawPointer(packedActivations)
            // Workers take blocks of 64 rows, the C kernel's own cache block.
            pool.parallelChunks(n, chunk: 64) { worker, rows in
                _ = Int8Product.multiply(type: weight.type.rawValue, packed: packed, tokens: tokens, weights: weight.base,
                                         rowBytes: weight.rowBytes, rows: rows, columns: k, into: y, ldy: n,
                                         scratch: UnsafeMutableRawPointer(tiles[worker]))
            }
        case .int8Tiles, .panels:
            // Workers take blocks of 96 rows, the C kernel's own cache block.
            pool.parallelChunks(n, chunk: 96) { worker, rows in
                _ = PanelProduct.multiply(type: weight.type.rawValue, x, tokens: tokens, weights: weight.base, rowBytes: weight.rowBytes,
                                          rows: rows, columns: k, into: y, ldy: n, scratch: tiles[worker])
            }
        case .floatRows:
            pool.parallelFor(n) { worker, rows in
                let scratch = tiles[worker]
                for r in rows { y[r] = weight.dot(row: r, x, scratch: scratch) }
            }
        case .blasTiles:
            multiplyByBLASTiles(x, tokens: tokens, weight, into: y)
        }
    }

    /// `x` with each token's columns in `order` (GPTQ act-order layers, `TensorView.columnOrder`).
    private func gatherColumns(_ x: UnsafePointer<Float>, tokens: Int, order: [Int32]) -> UnsafePointer<Float> {
        let k = order.count
        if gatheredInputs.count < tokens * k {
            gatheredInputs.deallocate()
            gatheredInputs = UnsafeMutableBufferPointer(start: UnsafeMutablePointer<Float>.allocate(capacity: tokens * k), count: tokens * k)
        }
        let gathered = gatheredInputs.baseAddress!
        order.withUnsafeBufferPointer { order in
            for t in 0..<tokens {
                let source = x + t * k, destination = gathered + t * k
                for j in 0..<k { destination[j] = source[Int(order[j])] }
            }
        }
        return UnsafePointer(gathered)
    }

    private func multiplyByBLASTiles(_ x: UnsafePointer<Float>, tokens: Int, _ weight: WeightMatrix, into y: UnsafeMutablePointer<Float>) {
        let n = weight.rows, k = weight.columns
        let tileCount = (n + Self.tileRows - 1) / Self.tileRows
        pool.parallelFor(tileCount) { worker, tileRange in
            let scratch = tiles[worker]
            for tile in tileRange {
                let first = tile * Self.tileRows
                let count = min(Self.tileRows, n - first)
                let rows: UnsafePointer<Float>
                if let direct = weight.floatRow(first) {
                    rows = direct
                } else {
                    for r in 0..<count { weight.dequantizeRow(first + r, into: scratch + r * k) }
                    rows = UnsafePointer(scratch)
                }
                BLAS.multiplyTransposed(m: tokens, n: count, k: k, a: x, lda: k, b: rows, ldb: k, c: y + first, ldc: n)
            }
        }
    }
}
