import ArgumentParser
import Foundation
import Kernels
import ModelFiles
import Tokenization

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a GGUF file llama.cpp can load, from a Hugging Face checkpoint or a synthetic Falcon-7B.",
        discussion: """
            Types: \(QuantizeTarget.allValueStrings.joined(separator: ", ")). Quantization follows llama.cpp's \
            reference algorithms (round-to-nearest for the legacy types, the K-quant scale searches for K types); \
            the output matrix is Q8_0 and norms stay F32, as llama-quantize does for Falcon. \
            --synthetic falcon-7b --layers N writes seeded random weights with Falcon-7B's real shapes, for \
            benchmarking without the 14 GB download. With a GPTQ type (gptq-…) --synthetic writes a GPTQ \
            checkpoint folder at --out instead, shaped like that branch of TheBloke's Claire-7B-0.1-GPTQ \
            (act-order, symmetric, v1). --model accepts GPTQ folders too (their weights go through floats, as \
            llama.cpp's converter does).
            """
    )

    @Option(help: "A Hugging Face Falcon checkpoint directory (config.json + safetensors).")
    var model: String?

    @Option(help: "Make a synthetic model instead: falcon-7b.")
    var synthetic: String?

    @Option(help: "Layers of the synthetic model.")
    var layers = 2

    @Option(help: "Tokenizer to store in a synthetic model (tokenizer.json or .gguf); none by default.")
    var tokenizer: String?

    @Option(help: "Seed of the synthetic weights.")
    var seed: UInt64 = 42

    @Option(help: "The type of the 2-D weights, or a GPTQ branch shape for a synthetic GPTQ folder.")
    var type: QuantizeTarget

    @Option(help: "The GGUF file to write (replaced only once complete).")
    var out: String

    @Option(help: "Worker threads (0: one per core).")
    var threads = 0

    func validate() throws {
        if (model == nil) == (synthetic == nil) { throw ValidationError("give exactly one of --model PATH or --synthetic falcon-7b") }
        if case .gptq = type, synthetic == nil {
            throw ValidationError("--type \(type) writes a synthetic GPTQ folder; it needs --synthetic falcon-7b")
        }
        if let synthetic, synthetic != "falcon-7b" { throw ValidationError("--synthetic knows only falcon-7b") }
        if layers < 1 || layers > 80 { throw ValidationError("--layers must be between 1 and 80") }
    }

    func run() throws {
        let started = Date()
        let outputType: TensorType
        switch type {
        case .file(let fileType): outputType = fileType
        case .gptq(let shape):
            try GPTQSynthesizer.write(config: GPTQSynthesizer.falcon7B(layers: layers), shape: shape, directory: out, seed: seed,
                                      tokenizerJSON: tokenizer.flatMap { $0.hasSuffix(".json") ? $0 : nil })
            let size = (try? FileManager.default.attributesOfItem(atPath: out + "/model.safetensors")[.size] as? Int) ?? 0
            Console.error(String(format: "wrote %@ (GPTQ %@, %.1f MB of weights) in %.1f s", out, "\(type)", Double(size) / 1e6, Date().timeIntervalSince(started)))
            return
        }
        if let model {
            let opened = try OpenedModel.open(path: model)
            try FalconGGUFConverter.convert(opened, to: outputType, path: out, threads: threads) { Console.error($0) }
        } else {
            let vocabulary = try tokenizer.map { try TokenizerLocator.load(path: $0) }
            try FalconGGUFConverter.synthesizeFalcon7B(layers: layers, to: outputType, path: out, tokenizer: vocabulary,
                                                       seed: seed, threads: threads) { Console.error($0) }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        Console.error(String(format: "wrote %@ (%@, %.1f MB) in %.1f s", out, outputType.description, Double(size) / 1e6, Date().timeIntervalSince(started)))
    }
}

/// What `quantize --type` writes: a GGUF of one weight type, or (with `--synthetic`) a GPTQ folder of one of
/// TheBloke's branch shapes.
enum QuantizeTarget: ExpressibleByArgument, CustomStringConvertible {
    case file(TensorType)
    case gptq(GPTQSynthesizer.Shape)

    init?(argument: String) {
        if let shape = GPTQSynthesizer.Shape(argument) { self = .gptq(shape) } else if let type = TensorType(argument: argument) { self = .file(type) } else { return nil }
    }

    static var allValueStrings: [String] { TensorType.allValueStrings + GPTQSynthesizer.Shape.names }
    static var allValueDescriptions: [String: String] { [:] }

    var description: String {
        switch self {
        case .file(let type): type.argumentName
        case .gptq(let shape): "gptq-\(shape.bits)bit-\(shape.groupSize ?? -1)g"
        }
    }
    var defaultValueDescription: String { description }
}
