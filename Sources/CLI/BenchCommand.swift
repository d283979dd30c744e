import ArgumentParser
import Engine
import Foundation
import Kernels
import ModelFiles

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt processing and generation speed (tokens/s, median of repetitions) and peak memory.",
        discussion: """
            Like llama-bench -p/-n: prefill runs -p tokens through an empty cache as one prompt; generation, a \
            separate test as in llama-bench, appends -n tokens one at a time to an empty cache, or with --depth D \
            to a cache already holding D tokens (llama-bench's -d; prefilled untimed). Token ids are \
            fixed pseudo-random values, so runs are comparable. \
            The decode line also reports the weight bytes streamed per second (every matrix is read once per \
            token), to compare with the machine's memory bandwidth.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: [.customShort("p"), .long], help: "Prompt tokens.")
    var prompt = 512

    @Option(name: [.customShort("n"), .long], help: "Generated tokens.")
    var generate = 128

    @Option(help: "Tokens already in the cache when generation starts (decode at depth).")
    var depth = 0

    @Option(help: "Timed repetitions; the median is reported.")
    var repetitions = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if prompt < 0 || generate < 0 || prompt + generate == 0 { throw ValidationError("-p and -n must be ≥ 0, not both 0") }
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
        if depth < 0 { throw ValidationError("--depth must be ≥ 0") }
    }

    func run() throws {
        let model = try modelOptions.load()
        let context = model.config.contextLength
        guard prompt + generate <= context, depth + generate <= context else {
            let needed = max(prompt, depth) + generate
            throw CLIError("-p \(prompt) or --depth \(depth), plus -n \(generate), = \(needed) tokens do not fit the model's context of \(context)")
        }
        var ids = BenchTokens(vocabulary: model.config.vocabularySize)
        let promptIDs = ids.next(prompt)
        let generatedIDs = ids.next(generate)
        let depthIDs = ids.next(depth)
        let session = model.makeSession(maximumBatch: max(1, min(max(prompt, depth), 512)))

        // One untimed warm-up pass faults the mapped weights in.
        try session.appendKeepingLast(promptIDs.isEmpty ? [generatedIDs[0]] : Array(promptIDs.prefix(32)))
        var prefillRates: [Double] = [], decodeRates: [Double] = []
        for repetition in 0..<repetitions {
            session.reset()
            if prompt > 0 {
                let start = DispatchTime.now()
                try session.appendKeepingLast(promptIDs)
                prefillRates.append(Double(prompt) / Self.seconds(since: start))
            }
            if generate > 0 {
                // From an empty cache, as llama-bench's tg test runs, so that the two decode figures compare.
                session.reset()
                if depth > 0 { try session.appendKeepingLast(depthIDs) }
                let start = DispatchTime.now()
                for id in generatedIDs { try session.appendKeepingLast([id]) }
                decodeRates.append(Double(generate) / Self.seconds(since: start))
            }
            if !json { Console.error("repetition \(repetition + 1)/\(repetitions) done") }
        }
        let matrixBytes = Self.matrixBytes(model.opened)
        let rss = Self.peakResidentBytes()
        let prefill = Self.median(prefillRates), decode = Self.median(decodeRates)
        let type = Self.dominantType(model.opened)
        if json {
            Console.out(try JSONText.line([
                "model": modelOptions.model, "type": type, "threads": model.pool.threadCount,
                "prefill": ["tokens": prompt, "tokens_per_s": prefill],
                "decode": ["tokens": generate, "depth": depth, "tokens_per_s": decode, "weight_gb_per_s": decode * Double(matrixBytes) / 1e9],
                "rss_bytes": rss, "repetitions": repetitions,
            ]))
        } else {
            Console.out(String(format: "%@ (%@, %d threads)\n", modelOptions.model, type, model.pool.threadCount))
            if prompt > 0 { Console.out(String(format: "prefill  pp%-5d %9.1f tokens/s\n", prompt, prefill)) }
            if generate > 0 {
                let at = depth > 0 ? " @ d\(depth)" : ""
                Console.out(String(format: "decode   tg%-5d %9.1f tokens/s  (%.1f GB/s of weights)%@\n", generate, decode, decode * Double(matrixBytes) / 1e9, at))
            }
            Console.out(String(format: "peak RSS %.1f MiB (median of %d repetitions)\n", Double(rss) / 1_048_576, repetitions))
        }
        Console.flush()
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Bytes of every 2-D weight read once per decoded token (the token embedding only contributes one row,
    /// unless it doubles as the output matrix).
    static func matrixBytes(_ model: OpenedModel) -> Int {
        model.tensors.tensorInfos.reduce(0) { total, info in
            guard info.shape.count == 2 else { return total }
            if info.name == model.embeddingName && model.hasOutputMatrix { return total }
            return total + info.rowCount * (info.rowLength / info.type.blockSize) * info.type.bytesPerBlock
        }
    }

    /// The type holding most of the weight bytes, e.g. "Q4_0" ("Q4_0+Q8_0" style mixes name the largest).
    static func dominantType(_ model: OpenedModel) -> String {
        var bytes: [TensorType: Int] = [:]
        for info in model.tensors.tensorInfos where info.shape.count == 2 {
            bytes[info.type, default: 0] += info.rowCount * (info.rowLength / info.type.blockSize) * info.type.bytesPerBlock
        }
        return bytes.max { $0.value < $1.value }?.key.description ?? "?"
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024  // kilobytes on Linux
    }
}
