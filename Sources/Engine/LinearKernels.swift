import Kernels

/// `Y[T×N] = X[T×K] · Wᵀ` for a weight matrix W `[N, K]` in any supported format, on the thread pool.
///
/// One token (decode) is a matrix-vector product: each worker takes a slice of W's rows and dots them with
/// x (quantized to 8 bits once for the integer formats). Several tokens (prefill) are matrix-matrix: each
/// worker takes blocks of W's rows, so that a weight is read from memory once for all tokens; Q4_0/Q5_0/Q8_0
/// blocks go to the int8 tile kernels, f16/bf16 rows to the C kernel that widens a cache-sized block at a
/// time, and the other formats are dequantized a 64-row tile at a time into the worker's scratch for BLAS
/// (f32 weights are used in place). Scratch is allocated once, here, on cache-line boundaries.
final class LinearKernels {
    let pool: ThreadPool
    static let tileRows = 64
    private let tiles: [UnsafeMutablePointer<Float>]
    private let maximumColumns: Int
    /// One token's activations quantized for the integer dot products (Q8_0/Q8_1/Q8_K blocks, at most
    /// 292 bytes per 256 values).
    private let quantizedActivations: UnsafeMutableRawPointer

    init(pool: ThreadPool, maximumColumns: Int) {
        self.pool = pool
        self.maximumColumns = maximumColumns
        tiles = (0..<pool.threadCount).map { _ in
            let count = max(Self.tileRows * maximumColumns, HalfRowDot.multiplyScratchCount)
            let tile = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
            tile.initialize(repeating: 0, count: count)
            return tile
        }
        quantizedActivations = UnsafeMutableRawPointer.allocate(byteCount: maximumColumns / 256 * 292 + 292, alignment: 64)
        BLAS.useSingleThread()
    }

    deinit {
        for tile in tiles { tile.deallocate() }
        quantizedActivations.deallocate()
        batchActivations?.deallocate()
    }

    /// Several tokens' quantized activations (prefill); grown on demand, never during decode.
    private var batchActivations: UnsafeMutableRawPointer?
    private var batchActivationBytes = 0

    private func batchActivations(bytes: Int) -> UnsafeMutableRawPointer {
        if let batchActivations, batchActivationBytes >= bytes { return batchActivations }
        batchActivations?.deallocate()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        batchActivations = buffer
        batchActivationBytes = bytes
        return buffer
    }

    /// Formats whose prefill runs on the integer kernels (register-blocked in C) rather than on f32 BLAS over
    /// dequantized tiles: the ones where it measured faster (see `claire-pipeline bench`).
    static let integerPrefillFormats: Set<QuantFormat> = [.q4_0, .q5_0, .q8_0]

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

    /// `y[t][r] = Σ x[t][k] · W[r][k]` with `ldy` = W.rows.
    func multiply(_ x: UnsafePointer<Float>, tokens: Int, _ weight: WeightMatrix, into y: UnsafeMutablePointer<Float>) {
        precondition(weight.columns <= maximumColumns)
        let n = weight.rows, k = weight.columns
        if tokens == 1, let format = weight.quantFormat {
            // Decode: quantize x to 8 bits once, then integer dot products stream the weight blocks as stored.
            QuantizedKernels.quantizeActivations(for: format, x, columns: k, into: quantizedActivations)
            let activations = UnsafeRawPointer(quantizedActivations)
            pool.parallelFor(n) { _, rows in
                QuantizedKernels.dotRows(format, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k,
                                         activations: activations, into: y)
            }
            return
        }
        if tokens > 1, let format = weight.quantFormat, Self.integerPrefillFormats.contains(format) {
            let stride = QuantizedKernels.activationBytes(for: format, columns: k)
            let activations = batchActivations(bytes: stride * tokens)
            pool.parallelFor(tokens) { _, range in
                for t in range { QuantizedKernels.quantizeActivations(for: format, x + t * k, columns: k, into: activations + t * stride) }
            }
            // Workers take row quads: the C kernel computes four rows at a time.
            pool.parallelFor((n + 3) / 4) { _, quads in
                let rows = (4 * quads.lowerBound)..<min(n, 4 * quads.upperBound)
                QuantizedKernels.dotRowsBatched(format, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k,
                                                activations: activations, activationStride: stride, tokens: tokens, into: y, ldy: n)
            }
            return
        }
        if tokens == 1, weight.type == .f16 || weight.type == .bf16 {
            let bfloat16 = weight.type == .bf16
            pool.parallelFor(n) { _, rows in
                HalfRowDot.dotRows(bfloat16: bfloat16, x, weights: weight.base, rowBytes: weight.rowBytes, rows: rows, columns: k, into: y)
            }
            return
        }
        if tokens > 1, weight.type == .f16 || weight.type == .bf16, HalfRowDot.hasFastMultiply(columns: k) {
            let bfloat16 = weight.type == .bf16
            // Workers take blocks of 96 rows, the C kernel's own cache block.
            pool.parallelFor((n + 95) / 96) { worker, blocks in
                let rows = (96 * blocks.lowerBound)..<min(n, 96 * blocks.upperBound)
                _ = HalfRowDot.multiply(bfloat16: bfloat16, x, tokens: tokens, weights: weight.base, rowBytes: weight.rowBytes,
                                        rows: rows, columns: k, into: y, ldy: n, scratch: tiles[worker])
            }
            return
        }
        if tokens == 1 {
            pool.parallelFor(n) { worker, rows in
                let scratch = tiles[worker]
                for r in rows { y[r] = weight.dot(row: r, x, scratch: scratch) }
            }
            return
        }
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
