import ArgumentParser
import Foundation
import ModelFiles

/// `inspect MODEL [--json]`: what a model file is, without loading the engine.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a model: architecture, layout, dimensions, tensors by type, parameters, size.",
        discussion: "The human report goes to stderr; --json prints one JSON object on stdout."
    )

    @Argument(help: "A Hugging Face model directory, a .gguf file, or a directory holding one .gguf.")
    var model: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws {
        let opened = try OpenedModel.open(path: model)
        let report = ModelReport(opened)
        if json {
            Console.out(try report.jsonLine())
            Console.flush()
        } else {
            Console.error(report.humanText())
        }
    }
}

/// The facts `inspect` prints, gathered once so the human and JSON forms cannot disagree.
struct ModelReport {
    let opened: OpenedModel
    let config: FalconConfig
    let countsByType: [(type: String, count: Int)]
    let parameters: Int
    let skipped: [String: String]
    let fileType: Int?

    init(_ opened: OpenedModel) {
        self.opened = opened
        config = opened.config
        countsByType = opened.tensors.tensorCountsByType
            .map { (type: $0.key.description, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.type < $1.type }
        parameters = opened.tensors.parameterCount
        skipped = (opened.tensors as? SafetensorsCheckpoint)?.skippedTensors ?? [:]
        fileType = (opened.tensors as? GGUFFile)?.metadata["general.file_type"]?.int
    }

    var layoutDescription: String {
        switch config.layoutID {
        case "mqa-parallel": return "Falcon-7B style: multi-query attention (1 KV head), attention and MLP in parallel, one layer norm"
        case "new-decoder": return "new decoder (Falcon-40B/180B): \(config.kvHeadCount) grouped KV heads, parallel, \(config.layerNormsPerLayer == 2 ? "ln_attn + ln_mlp" : "one layer norm")"
        case "mha-parallel": return "multi-head attention (\(config.kvHeadCount) KV heads), attention and MLP in parallel"
        case "alibi-sequential": return "Falcon-RW: ALiBi, sequential attention then MLP\(config.bias ? ", biases on every linear layer" : "")"
        default: return config.layoutName
        }
    }

    func humanText() -> String {
        let size = ByteCountFormatter.string(fromByteCount: Int64(opened.totalBytes), countStyle: .file)
        let types = countsByType.map { "\($0.type) ×\($0.count)" }.joined(separator: ", ")
        var lines = [
            "\(opened.path)",
            "format        \(opened.format == .gguf ? "GGUF" : "Hugging Face safetensors"), \(opened.files.count) file\(opened.files.count == 1 ? "" : "s"), \(opened.totalBytes) bytes (\(size))",
            "architecture  Falcon, \(layoutDescription)",
            "dimensions    hidden \(config.hiddenSize), \(config.headCount) heads × \(config.headDimension), \(config.kvHeadCount) KV head\(config.kvHeadCount == 1 ? "" : "s"), \(config.layerCount) layers, feed-forward \(config.feedForwardSize)",
            "vocabulary    \(config.vocabularySize) tokens\(opened.tokenizer == nil ? " (no tokenizer in the model)" : ""), bos \(config.bosTokenID), eos \(config.eosTokenID)",
            "positions     \(config.alibi ? "ALiBi" : "RoPE, θ = \(config.ropeTheta)"), context \(config.contextLength)",
            "output        \(opened.hasOutputMatrix ? opened.outputMatrixName : "tied to \(opened.embeddingName)")",
            "tensors       \(opened.tensors.tensorInfos.count): \(types)",
            "parameters    \(parameters) (\(String(format: "%.2f", Double(parameters) / 1e6)) M)",
        ]
        if let gptq = opened.gptq {
            lines.append("quantization  GPTQ \(gptq.summary); runs as \(gptqLayouts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))")
        }
        if !skipped.isEmpty {
            lines.append("skipped       \(skipped.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    func jsonObject() -> [String: Any] {
        var object: [String: Any] = [
            "path": opened.path,
            "format": opened.format.rawValue,
            "files": opened.files,
            "file_bytes": opened.totalBytes,
            "architecture": "falcon",
            "layout": config.layoutID,
            "layout_description": layoutDescription,
            "hidden_size": config.hiddenSize,
            "heads": config.headCount,
            "kv_heads": config.kvHeadCount,
            "head_dim": config.headDimension,
            "layers": config.layerCount,
            "feed_forward_size": config.feedForwardSize,
            "vocab_size": config.vocabularySize,
            "context_length": config.contextLength,
            "new_decoder_architecture": config.newDecoderArchitecture,
            "parallel_attention": config.parallelAttention,
            "alibi": config.alibi,
            "bias": config.bias,
            "layer_norm_epsilon": Double("\(config.layerNormEpsilon)") ?? Double(config.layerNormEpsilon),  // 1e-05, not 9.9999997e-06
            "rope_theta": Double("\(config.ropeTheta)") ?? Double(config.ropeTheta),
            "bos_token_id": config.bosTokenID,
            "eos_token_id": config.eosTokenID,
            "output_matrix": opened.hasOutputMatrix ? opened.outputMatrixName : NSNull(),
            "tied_embeddings": !opened.hasOutputMatrix,
            "tokenizer": opened.tokenizer != nil,
            "tensors": opened.tensors.tensorInfos.count,
            "tensors_by_type": Dictionary(uniqueKeysWithValues: countsByType.map { ($0.type, $0.count) }),
            "parameters": parameters,
        ]
        if !skipped.isEmpty { object["skipped_tensors"] = skipped }
        if let gptq = opened.gptq {
            object["gptq"] = [
                "bits": gptq.bits, "group_size": gptq.groupSize ?? -1, "act_order": gptq.actOrder, "sym": gptq.symmetric,
                "checkpoint_format": gptq.checkpointFormat, "layouts": gptqLayouts,
            ] as [String: Any]
        }
        if let fileType { object["gguf_file_type"] = fileType }
        return object
    }

    /// How many GPTQ layers run in each layout (Q4_0/Q8_0 integer blocks, or exact F32 rows).
    var gptqLayouts: [String: Int] {
        ((opened.tensors as? GPTQCheckpoint)?.layouts.values.map(\.layout) ?? []).reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    func jsonLine() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: jsonObject(), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
