import Foundation
import Kernels

/// Writes a GPTQ checkpoint folder of random weights in AutoGPTQ's v1 layout (`config.json` with
/// `quantization_config`, `quantize_config.json`, `model.safetensors`), shaped like one of TheBloke's
/// Claire-7B-0.1-GPTQ branches, for benchmarks and tests. The embedding and norms are F16, lm_head is tied.
public enum GPTQSynthesizer {
    /// A branch shape: bits, group size (nil: −1), act-order, zeros.
    public struct Shape: Sendable, Equatable {
        public var bits: Int
        public var groupSize: Int?
        public var actOrder: Bool
        public var symmetric: Bool

        public init(bits: Int, groupSize: Int?, actOrder: Bool = true, symmetric: Bool = true) {
            self.bits = bits
            self.groupSize = groupSize
            self.actOrder = actOrder
            self.symmetric = symmetric
        }

        /// `gptq-4bit-128g`, `gptq-8bit--1g` (TheBloke's branch names without the act-order suffix), or nil.
        public init?(_ name: String) {
            let parts = name.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count >= 3, parts[0] == "gptq", parts[1].hasSuffix("bit"), let bits = Int(parts[1].dropLast(3)),
                  bits == 4 || bits == 8 else { return nil }
            let groupText = parts.dropFirst(2).joined(separator: "-")
            guard groupText.hasSuffix("g"), let group = Int(groupText.dropLast()), group == -1 || [32, 64, 128].contains(group) else { return nil }
            self.init(bits: bits, groupSize: group == -1 ? nil : group)
        }

        /// TheBloke's branch shapes (all act-order, symmetric).
        public static let names = ["gptq-4bit-128g", "gptq-4bit-32g", "gptq-4bit-64g", "gptq-8bit--1g", "gptq-8bit-128g", "gptq-8bit-32g"]
    }

    /// Falcon-7B's real shapes with `layers` layers.
    public static func falcon7B(layers: Int) -> FalconConfig {
        FalconConfig(hiddenSize: 4544, headCount: 71, kvHeadCount: 1, layerCount: layers, vocabularySize: 65024, feedForwardSize: 18176)
    }

    /// Writes the folder `directory` (created if needed). `tokenizerJSON` is copied beside the weights when given.
    public static func write(config: FalconConfig, shape: Shape, directory: String, seed: UInt64 = 42,
                             tokenizerJSON: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(tensors(config: config, shape: shape, seed: seed),
                                    to: (directory as NSString).appendingPathComponent("model.safetensors"))
        try writeConfigs(config: config, shape: shape, directory: directory)
        if let tokenizerJSON {
            let destination = (directory as NSString).appendingPathComponent("tokenizer.json")
            _ = try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: tokenizerJSON, toPath: destination)
        }
    }

    /// Every tensor of the checkpoint, in file order, each written on demand.
    static func tensors(config: FalconConfig, shape: Shape, seed: UInt64) -> [SafetensorsWriter.Tensor] {
        let hidden = config.hiddenSize
        let qkvRows = (config.headCount + 2 * config.kvHeadCount) * config.headDimension
        let pack = 32 / shape.bits, maxq = UInt32((1 << shape.bits) - 1)
        var tensors: [SafetensorsWriter.Tensor] = []

        func halves(_ name: String, rows: Int, columns: Int, _ value: @escaping (inout SplitMixNormal) -> Float) {
            tensors.append(.init(name: name, dtype: "F16", shape: rows == 0 ? [columns] : [rows, columns], byteCount: 2 * max(rows, 1) * columns) { emit in
                var generator = SplitMixNormal(seed: seed ^ name.hashValueStable)
                for _ in 0..<max(rows, 1) {
                    var data = Data(count: 2 * columns)
                    data.withUnsafeMutableBytes { bytes in
                        for i in 0..<columns { bytes.storeBytes(of: HalfPrecision.half(from: value(&generator)), toByteOffset: 2 * i, as: UInt16.self) }
                    }
                    try emit(data)
                }
            })
        }
        func words(_ name: String, rows: Int, columns: Int, _ word: @escaping (_ row: Int, _ column: Int, inout UInt64) -> UInt32) {
            tensors.append(.init(name: name, dtype: "I32", shape: rows == 0 ? [columns] : [rows, columns], byteCount: 4 * max(rows, 1) * columns) { emit in
                var state = seed ^ name.hashValueStable
                for row in 0..<max(rows, 1) {
                    var data = Data(count: 4 * columns)
                    data.withUnsafeMutableBytes { bytes in
                        for column in 0..<columns { bytes.storeBytes(of: word(row, column, &state), toByteOffset: 4 * column, as: UInt32.self) }
                    }
                    try emit(data)
                }
            })
        }
        func next(_ state: inout UInt64) -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func quantized(_ prefix: String, outputs: Int, inputs: Int) {
            let groups = shape.groupSize.map { (inputs + $0 - 1) / $0 } ?? 1
            let groupSize = shape.groupSize ?? inputs
            words(prefix + ".qweight", rows: inputs / pack, columns: outputs) { _, _, state in
                let random = next(&state)
                var word: UInt32 = 0
                for k in 0..<pack { word |= (UInt32(truncatingIfNeeded: random >> (8 * k)) & maxq) << UInt32(shape.bits * k) }
                return word
            }
            // Symmetric zeros are 2^(bits−1), stored minus one (v1); asymmetric ones are random in 1…maxq.
            words(prefix + ".qzeros", rows: groups, columns: outputs / pack) { _, _, state in
                let random = next(&state)
                var word: UInt32 = 0
                for k in 0..<pack {
                    let zero = shape.symmetric ? UInt32(1 << (shape.bits - 1)) : 1 + UInt32(truncatingIfNeeded: random >> (8 * k)) % maxq
                    word |= ((zero - 1) & maxq) << UInt32(shape.bits * k)
                }
                return word
            }
            halves(prefix + ".scales", rows: groups, columns: outputs) { generator in
                (0.5 + abs(generator.next())) * 0.02 / Float(1 << (shape.bits - 1))
            }
            // Act-order: columns quantized in a random order, group j taking the j-th run of that order.
            var groupOfColumn = (0..<inputs).map { Int32($0 / groupSize) }
            if shape.actOrder {
                var state = seed ^ (prefix + ".g_idx").hashValueStable
                var order = Array(0..<inputs)
                for i in stride(from: inputs - 1, to: 0, by: -1) { order.swapAt(i, Int(next(&state) % UInt64(i + 1))) }
                for (rank, column) in order.enumerated() { groupOfColumn[column] = Int32(rank / groupSize) }
            }
            let indices = groupOfColumn
            words(prefix + ".g_idx", rows: 0, columns: inputs) { _, column, _ in UInt32(bitPattern: indices[column]) }
        }

        halves("transformer.word_embeddings.weight", rows: config.vocabularySize, columns: hidden) { $0.next() * 0.02 }
        for layer in 0..<config.layerCount {
            let block = "transformer.h.\(layer)."
            halves(block + "input_layernorm.weight", rows: 0, columns: hidden) { _ in 1 }
            halves(block + "input_layernorm.bias", rows: 0, columns: hidden) { _ in 0 }
            quantized(block + "self_attention.query_key_value", outputs: qkvRows, inputs: hidden)
            quantized(block + "self_attention.dense", outputs: hidden, inputs: hidden)
            quantized(block + "mlp.dense_h_to_4h", outputs: config.feedForwardSize, inputs: hidden)
            quantized(block + "mlp.dense_4h_to_h", outputs: hidden, inputs: config.feedForwardSize)
        }
        halves("transformer.ln_f.weight", rows: 0, columns: hidden) { _ in 1 }
        halves("transformer.ln_f.bias", rows: 0, columns: hidden) { _ in 0 }
        return tensors
    }

    /// `config.json` (Falcon + `quantization_config`) and `quantize_config.json`, as AutoGPTQ writes them.
    static func writeConfigs(config: FalconConfig, shape: Shape, directory: String) throws {
        let hidden = config.hiddenSize

        let quantization: [String: Any] = [
            "quant_method": "gptq", "bits": shape.bits, "group_size": shape.groupSize ?? -1, "desc_act": shape.actOrder,
            "sym": shape.symmetric, "damp_percent": 0.1, "checkpoint_format": "gptq", "pack_dtype": "int32", "true_sequential": true,
        ]
        let configJSON: [String: Any] = [
            "architectures": ["FalconForCausalLM"], "model_type": "falcon", "hidden_size": hidden,
            "num_attention_heads": config.headCount, "num_hidden_layers": config.layerCount, "multi_query": config.kvHeadCount == 1,
            "new_decoder_architecture": false, "parallel_attn": true, "alibi": false, "bias": false,
            "ffn_hidden_size": config.feedForwardSize, "vocab_size": config.vocabularySize, "layer_norm_epsilon": 1e-5,
            "max_position_embeddings": config.contextLength, "rope_theta": 10000.0, "bos_token_id": 11, "eos_token_id": 11,
            "tie_word_embeddings": true, "torch_dtype": "float16", "quantization_config": quantization,
        ]
        for (name, object) in [("config.json", configJSON), ("quantize_config.json", quantization)] {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(name)))
        }
    }
}
