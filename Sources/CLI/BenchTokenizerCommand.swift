import ArgumentParser
import Foundation
import Tokenization

struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tokenizer",
        abstract: "Measure encoding throughput (MB/s, one thread) on a text file.",
        discussion: """
            --mode lines encodes each line separately (like Hugging Face's encode_batch of the lines); \
            --mode whole encodes the file as one string. The median of the repetitions is reported; the first \
            repetition runs with a cold word cache (a fresh tokenizer), which is also reported.
            """
    )

    @OptionGroup var source: TokenizerSourceOptions

    @Option(help: "The UTF-8 text file to encode.")
    var file: String

    @Option(help: "lines or whole.")
    var mode: Mode = .lines

    @Option(help: "How many timed repetitions.")
    var repetitions = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    enum Mode: String, ExpressibleByArgument { case lines, whole }

    func run() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        if let offset = UTF8Validation.firstInvalidByteOffset([UInt8](data)) {
            throw TokenizerError.invalidUTF8(source: file, byteOffset: offset)
        }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let megabytes = Double(data.count) / 1_000_000

        var seconds: [Double] = []
        var tokens = 0
        for _ in 0..<max(1, repetitions) {
            let tokenizer = try source.loadTokenizer()  // a cold cache every repetition: no help from earlier runs
            let start = DispatchTime.now().uptimeNanoseconds
            switch mode {
            case .lines: tokens = lines.reduce(0) { $0 + tokenizer.encode($1).count }
            case .whole: tokens = tokenizer.encode(text).count
            }
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = seconds.sorted()[seconds.count / 2]
        let throughput = megabytes / median
        if json {
            Console.out("{\"file\":\"\(file)\",\"mode\":\"\(mode.rawValue)\",\"bytes\":\(data.count),\"tokens\":\(tokens),"
                + "\"median_seconds\":\(median),\"mb_per_s\":\(throughput)}\n")
        } else {
            Console.out(String(format: "%@ (%@): %.2f MB, %d tokens, median %.3f s over %d runs: %.2f MB/s\n",
                               file, mode.rawValue, megabytes, tokens, median, seconds.count, throughput))
        }
    }
}
