import ArgumentParser
import Foundation
import Kernels

struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels",
        abstract: "Measure the quantized matrix-vector kernels: GB/s of weight bytes streamed per format.",
        discussion: """
            Each format's weights form one rows × columns matrix (default 4544 × 18176, Falcon-7B's ffn_down) \
            far larger than the caches. Each product runs exactly as the engine runs it (MatrixProduct): with one \
            token, quantizing the activations once, then every worker dotting its chunks of rows; with --tokens > 1 \
            the prefill route (int8 tiles where the CPU has them, else blocks of rows dequantized into f32 panels), \
            and the figure counts the weight bytes once per pass. The median of the repetitions is reported.
            """
    )

    @Option(help: "Weight rows.") var rows = 4544
    @Option(help: "Columns (a multiple of 256 for the K formats).") var columns = 18176
    @Option(help: "Comma-separated thread counts.") var threads = "1,2"
    @Option(help: "Comma-separated formats, or all.") var formats = "all"
    @Option(help: "Timed repetitions per measurement.") var repetitions = 15
    @Option(help: "Activation rows per product (1 = decode).") var tokens = 1
    @Flag(help: "Compute each token as a decode would (MatrixProduct.multiplyEachToken, the batched engine's route).") var eachToken = false
    @Flag(help: "Use the portable C bodies instead of AVX2.") var generic = false
    @Flag(help: "Decode with the AVX2 bodies even where AVX-512 ones exist.") var avx2 = false
    @Flag(help: "Decode with the AVX-512 VNNI bodies (bit-identical to AVX2) even where faster ones exist.") var vnni512 = false

    func run() throws {
        // The 16-bit rows too: Hugging Face checkpoints decode from them, and so does a GPTQ folder's output head.
        let measurable = TensorType.weightFormats + [.f16, .bf16]
        let chosen: [TensorType] = formats == "all" ? measurable : try formats.split(separator: ",").map { name in
            guard let f = measurable.first(where: { $0.argumentName == name.lowercased() }) else {
                throw ValidationError("unknown format \(name)")
            }
            return f
        }
        let threadCounts = threads.split(separator: ",").compactMap { Int($0) }
        QuantizedKernels.forceGeneric(generic)
        let decodeBodies: QuantizedKernels.Bodies = generic ? .generic : avx2 ? .avx2 : vnni512 ? .vnni512 : .best
        let decode = switch decodeBodies {
        case _ where !QuantizedKernels.usesAVX2: "generic"
        case .best where QuantizedKernels.usesVBMI512: "AVX-512 VBMI (4- and 5-bit legacy formats), VNNI (Q8_0), AVX-512 (Q6_K), AVX2"
        case .best where QuantizedKernels.usesVNNI512: "AVX-512 VNNI (legacy formats), AVX-512 (Q6_K), AVX2"
        case .vnni512 where QuantizedKernels.usesVNNI512: "AVX-512 VNNI (legacy formats), AVX2"
        default: "AVX2"
        }
        let panels = PanelProduct.usesAVX512 ? "AVX-512" : "AVX2"
        let int8 = QuantizedKernels.usesVNNI512 ? "AVX-512 VNNI (legacy formats)" : "AVX2 (4- and 5-bit legacy formats)"
        let prefill = !QuantizedKernels.usesAVX2 ? "generic" : "int8 tiles \(int8), f32 panels \(panels)"
        let bodies = "decode \(decode); prefill \(prefill)"
        Console.error("bodies: \(bodies), matrix \(rows) × \(columns), tokens \(tokens)\n")
        let x = (0..<(columns * tokens)).map { Float(sin(Double($0) * 0.37)) }
        for format in chosen {
            guard columns % format.blockSize == 0 else { continue }
            let route = MatrixProduct.Route(type: format, columns: columns, tokens: tokens)
            guard route != .blasTiles else {
                Console.error("\(format): the prefill kernel has no body for \(columns) columns on this CPU (or with --generic); skipped\n")
                continue
            }
            let rowBytes = format.rowBytes(count: columns)
            let total = rowBytes * rows
            let weights = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 64)
            defer { weights.deallocate() }
            // A few genuinely quantized rows, repeated: distinct memory, realistic block contents.
            let distinct = 8
            for r in 0..<distinct {
                let row = (0..<columns).map { Float(sin(Double($0 * (r + 3)) * 0.011)) * 0.05 }
                row.withUnsafeBufferPointer { format.quantize($0.baseAddress!, count: columns, into: weights + r * rowBytes) }
            }
            for r in distinct..<rows { (weights + r * rowBytes).copyMemory(from: weights + (r % distinct) * rowBytes, byteCount: rowBytes) }
            let weight = WeightMatrix(name: "bench", type: format, rows: rows, columns: columns, base: weights)
            var y = [Float](repeating: 0, count: rows * tokens)
            for threadCount in threadCounts {
                let product = MatrixProduct(pool: ThreadPool(threads: threadCount), maximumColumns: columns, maximumTokens: tokens,
                                            decodeBodies: decodeBodies)
                var seconds: [Double] = []
                for _ in 0..<(repetitions + 1) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    x.withUnsafeBufferPointer { xs in
                        y.withUnsafeMutableBufferPointer { out in
                            if eachToken {
                                product.multiplyEachToken(xs.baseAddress!, tokens: tokens, by: weight, into: out.baseAddress!)
                            } else {
                                product.multiply(xs.baseAddress!, tokens: tokens, by: weight, into: out.baseAddress!)
                            }
                        }
                    }
                    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                seconds.removeFirst() // warm-up
                let median = seconds.sorted()[seconds.count / 2]
                Console.out(String(format: "%@%@ threads %d: %.1f MB in %.2f ms = %.2f GB/s (%.1f token-rows/s)\n",
                                   format.description, route == .int8Tiles ? " (int8 tiles)" : "", threadCount, Double(total) / 1e6, median * 1e3,
                                   Double(total) / median / 1e9, Double(tokens) / median))
            }
        }
    }
}
