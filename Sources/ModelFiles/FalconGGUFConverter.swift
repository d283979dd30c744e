import Foundation
import Kernels
import Tokenization

/// Writes a Falcon model as a GGUF file that llama.cpp loads: the tensor names, metadata and tokenizer keys
/// of llama.cpp's own converter (`falcon.*`, `tokenizer.ggml.pre = "falcon"`, the fused QKV rows reordered
/// to its "jploski" layout), with 2-D weights stored as the requested type. As in `llama-quantize`, the
/// output matrix of a quantized Falcon is Q8_0 whatever the type, norms stay F32, and K-quant types fall back
/// for rows that are not a multiple of 256 (`TensorType.Traits.shortRowFallback`).
public enum FalconGGUFConverter {
    /// The type a matrix with rows of `rowLength` gets when a model's 2-D weights are written as `type` (one of
    /// `TensorType.fileTypes`): the output matrix of a quantized model is Q8_0, and rows that are not a whole
    /// number of a K type's blocks take its fallback.
    static func matrixType(_ type: TensorType, rowLength: Int, isOutput: Bool) -> TensorType {
        guard type.isQuantized else { return type }
        if isOutput { return .q8_0 }
        if rowLength % type.blockSize == 0 { return type }
        return type.traits.shortRowFallback ?? .q8_0
    }

    /// One tensor to write: its GGUF name, shape `[rows, columns]` (1-D tensors have one row), type, and a
    /// source for its rows as f32.
    struct PlannedTensor {
        var name: String
        var rows: Int
        var columns: Int
        var type: TensorType
        var isVector: Bool
        var row: (_ index: Int, _ into: UnsafeMutablePointer<Float>) -> Void
    }

    /// Converts an opened Hugging Face checkpoint into a GGUF at `path`.
    public static func convert(_ model: OpenedModel, to type: TensorType, path: String, threads: Int = 0,
                               progress: (String) -> Void = { _ in }) throws {
        let plan = try self.plan(model, to: type)
        var writer = try GGUFWriter()
        writeMetadata(&writer, config: model.config, type: type, name: URL(fileURLWithPath: model.path).lastPathComponent, tokenizer: model.tokenizer)
        try write(plan, with: &writer, to: path, threads: threads, progress: progress)
    }

    /// The checkpoint quantized in memory, with the tensors `convert` would write (GGUF names and layout):
    /// the analog of transformers' `load_in_4bit=True`. Only the quantized copy is kept resident; the
    /// checkpoint's own pages are read once and can be dropped by the kernel.
    public static func quantizedInMemory(_ model: OpenedModel, to type: TensorType, threads: Int = 0) throws -> OpenedModel {
        let plan = try self.plan(model, to: type)
        let pool = ThreadPool(threads: threads)
        let tensors = InMemoryTensors()
        for tensor in plan {
            tensors.add(TensorInfo(name: tensor.name, type: tensor.type, shape: tensor.isVector ? [tensor.columns] : [tensor.rows, tensor.columns]),
                        encode(tensor, pool: pool))
        }
        return OpenedModel(path: model.path, format: .gguf, config: model.config, tensors: tensors, files: model.files, tokenizer: model.tokenizer)
    }

    /// What to write: every tensor's GGUF name, type and a reader of its rows from the checkpoint.
    static func plan(_ model: OpenedModel, to type: TensorType) throws -> [PlannedTensor] {
        let config = model.config
        guard !config.alibi, !config.bias, config.parallelAttention else {
            throw ModelFileError(model.path, "llama.cpp's falcon architecture has no ALiBi, linear biases or sequential attention; this layout (\(config.layoutName)) cannot be written as GGUF")
        }
        guard model.format == .huggingFace else {
            throw ModelFileError(model.path, "quantize reads a Hugging Face checkpoint (config.json + safetensors); this is already a GGUF file")
        }
        let source = model.tensors
        func view(_ name: String) throws -> TensorView {
            guard let view = source.tensor(named: name) else { throw ModelFileError(model.path, "tensor \(name) is missing") }
            // GPTQ layers arrive as Q4_0/Q8_0 blocks (Sources/ModelFiles/GPTQ); they go through floats like the rest.
            guard [.f32, .f16, .bf16].contains(view.info.type) || (model.gptq != nil && [.q4_0, .q8_0].contains(view.info.type)) else {
                throw ModelFileError(model.path, "tensor \(name) is \(view.info.type); only F32, F16 and BF16 checkpoints can be converted")
            }
            return view
        }
        func rowReader(_ view: TensorView, columns: Int, permutation: ((Int) -> Int)? = nil) -> (Int, UnsafeMutablePointer<Float>) -> Void {
            let base = view.bytes.baseAddress!
            let elementType = view.info.type
            if elementType.isQuantized {
                // A GPTQ layer: widen the blocks, then put the regrouped columns back in input order.
                let order = view.columnOrder
                return { index, output in
                    let row = base + (permutation?(index) ?? index) * elementType.rowBytes(count: columns)
                    guard let order else { return elementType.dequantize(row, count: columns, into: output) }
                    let stored = UnsafeMutablePointer<Float>.allocate(capacity: columns)
                    defer { stored.deallocate() }
                    elementType.dequantize(row, count: columns, into: stored)
                    for j in 0..<columns { output[Int(order[j])] = stored[j] }
                }
            }
            return { index, output in
                let row = permutation?(index) ?? index
                elementType.dequantize(base + row * columns * elementType.bytesPerBlock, count: columns, into: output)
            }
        }
        let hidden = config.hiddenSize, d = config.headDimension, heads = config.headCount, groups = config.kvHeadCount
        let qkvRows = (heads + 2 * groups) * d
        var plan: [PlannedTensor] = []
        func matrix(_ gguf: String, _ hf: String, rows: Int, columns: Int, isOutput: Bool = false, permutation: ((Int) -> Int)? = nil) throws {
            let tensor = try view(hf)
            guard tensor.info.shape == [rows, columns] else {
                throw ModelFileError(model.path, "tensor \(hf) has shape \(tensor.info.shape), expected \([rows, columns])")
            }
            plan.append(PlannedTensor(name: gguf, rows: rows, columns: columns,
                                      type: matrixType(type, rowLength: columns, isOutput: isOutput), isVector: false,
                                      row: rowReader(tensor, columns: columns, permutation: permutation)))
        }
        func vector(_ gguf: String, _ hf: String) throws {
            let tensor = try view(hf)
            guard tensor.info.elementCount == hidden else {
                throw ModelFileError(model.path, "tensor \(hf) has shape \(tensor.info.shape), expected [\(hidden)]")
            }
            plan.append(PlannedTensor(name: gguf, rows: 1, columns: hidden, type: .f32, isVector: true, row: rowReader(tensor, columns: hidden)))
        }
        let from = FalconTensorNames.huggingFace, to = FalconTensorNames.gguf
        let untied = source.tensor(named: from.output) != nil
        try matrix(to.embedding, from.embedding, rows: config.vocabularySize, columns: hidden, isOutput: !untied)
        let perGroup = heads / groups
        // HF groups each KV head with its query heads; llama.cpp wants all Q, then all K, then all V.
        let jploski: (Int) -> Int = { row in
            let head = row / d, offset = row % d
            if head < heads { return ((head / perGroup) * (perGroup + 2) + head % perGroup) * d + offset }
            if head < heads + groups { return ((head - heads) * (perGroup + 2) + perGroup) * d + offset }
            return ((head - heads - groups) * (perGroup + 2) + perGroup + 1) * d + offset
        }
        let twoNorms = config.newDecoderArchitecture && config.layerNormsPerLayer == 2
        // The norms a layer has, as (GGUF, Hugging Face) name parts; llama.cpp's attn_norm is the MLP's norm of two.
        let norms: [KeyPath<FalconTensorNames, String>] = twoNorms ? [\.mlpNormOfTwo, \.attentionNormOfTwo] : [\.singleNorm]
        for layer in 0..<config.layerCount {
            let hf = from.block(layer), gguf = to.block(layer)
            for norm in norms {
                try vector(gguf + to[keyPath: norm] + ".weight", hf + from[keyPath: norm] + ".weight")
                try vector(gguf + to[keyPath: norm] + ".bias", hf + from[keyPath: norm] + ".bias")
            }
            try matrix(gguf + to.qkv + ".weight", hf + from.qkv + ".weight", rows: qkvRows, columns: hidden, permutation: jploski)
            try matrix(gguf + to.dense + ".weight", hf + from.dense + ".weight", rows: hidden, columns: hidden)
            try matrix(gguf + to.up + ".weight", hf + from.up + ".weight", rows: config.feedForwardSize, columns: hidden)
            try matrix(gguf + to.down + ".weight", hf + from.down + ".weight", rows: hidden, columns: config.feedForwardSize)
        }
        try vector(to.finalNorm + ".weight", from.finalNorm + ".weight")
        try vector(to.finalNorm + ".bias", from.finalNorm + ".bias")
        if untied { try matrix(to.output, from.output, rows: config.vocabularySize, columns: hidden, isOutput: true) }
        return plan
    }

    /// A model of Falcon-7B's real shapes (hidden 4544, 71 heads, 1 KV head, FFN 18176, vocabulary 65024)
    /// with `layers` layers of seeded random weights: the real per-layer cost without the real download.
    public static func synthesizeFalcon7B(layers: Int, to type: TensorType, path: String, tokenizer: FalconTokenizer?,
                                          seed: UInt64 = 42, threads: Int = 0, progress: (String) -> Void = { _ in }) throws {
        let config = FalconConfig(hiddenSize: 4544, headCount: 71, kvHeadCount: 1, layerCount: layers, vocabularySize: 65024,
                                  feedForwardSize: 18176)
        var plan: [PlannedTensor] = []
        func random(_ name: String, rows: Int, columns: Int, isOutput: Bool = false) {
            let tensorSeed = seed ^ UInt64(truncatingIfNeeded: name.hashValueStable)
            plan.append(PlannedTensor(name: name, rows: rows, columns: columns, type: matrixType(type, rowLength: columns, isOutput: isOutput),
                                      isVector: false, row: { index, output in
                                          var generator = SplitMixNormal(seed: tensorSeed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
                                          for i in 0..<columns { output[i] = generator.next() * 0.02 }
                                      }))
        }
        func constant(_ name: String, _ value: Float) {
            plan.append(PlannedTensor(name: name, rows: 1, columns: config.hiddenSize, type: .f32, isVector: true,
                                      row: { _, output in output.initialize(repeating: value, count: config.hiddenSize) }))
        }
        let hidden = config.hiddenSize, names = FalconTensorNames.gguf
        random(names.embedding, rows: config.vocabularySize, columns: hidden)
        for layer in 0..<layers {
            let block = names.block(layer)
            constant(block + names.singleNorm + ".weight", 1)
            constant(block + names.singleNorm + ".bias", 0)
            random(block + names.qkv + ".weight", rows: hidden + 2 * config.headDimension, columns: hidden)
            random(block + names.dense + ".weight", rows: hidden, columns: hidden)
            random(block + names.up + ".weight", rows: config.feedForwardSize, columns: hidden)
            random(block + names.down + ".weight", rows: hidden, columns: config.feedForwardSize)
        }
        constant(names.finalNorm + ".weight", 1)
        constant(names.finalNorm + ".bias", 0)
        random(names.output, rows: config.vocabularySize, columns: hidden, isOutput: true)
        var writer = try GGUFWriter()
        writeMetadata(&writer, config: config, type: type, name: "falcon-7b-synthetic-\(layers)l", tokenizer: tokenizer)
        try write(plan, with: &writer, to: path, threads: threads, progress: progress)
    }

    static func writeMetadata(_ writer: inout GGUFWriter, config: FalconConfig, type: TensorType, name: String, tokenizer: FalconTokenizer?) {
        writer.set("general.architecture", .string("falcon"))
        writer.set("general.name", .string(name))
        writer.set("falcon.context_length", .uint32(UInt32(config.contextLength)))
        writer.set("falcon.tensor_data_layout", .string("jploski"))
        writer.set("falcon.embedding_length", .uint32(UInt32(config.hiddenSize)))
        writer.set("falcon.feed_forward_length", .uint32(UInt32(config.feedForwardSize)))
        writer.set("falcon.block_count", .uint32(UInt32(config.layerCount)))
        writer.set("falcon.attention.head_count", .uint32(UInt32(config.headCount)))
        writer.set("falcon.attention.head_count_kv", .uint32(UInt32(config.kvHeadCount)))
        writer.set("falcon.attention.layer_norm_epsilon", .float32(config.layerNormEpsilon))
        if config.ropeTheta != 10_000 { writer.set("falcon.rope.freq_base", .float32(config.ropeTheta)) }
        writer.set("general.file_type", .uint32(type.traits.llamaFileType ?? 7))
        writer.set("general.quantization_version", .uint32(2))
        if let tokenizer {
            writer.set("tokenizer.ggml.model", .string("gpt2"))
            writer.set("tokenizer.ggml.pre", .string("falcon"))
            writer.set("tokenizer.ggml.tokens", GGUFValue.strings(tokenizer.vocabulary))
            writer.set("tokenizer.ggml.token_type", GGUFValue.int32s(tokenizer.vocabulary.indices.map { tokenizer.specialTokenIDs.contains($0) ? 3 : 1 }))
            writer.set("tokenizer.ggml.merges", GGUFValue.strings(tokenizer.merges.map { "\($0.0) \($0.1)" }))
            writer.set("tokenizer.ggml.bos_token_id", .uint32(UInt32(config.bosTokenID)))
            writer.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(config.eosTokenID)))
        } else {
            writer.set("tokenizer.ggml.model", .string("no_vocab"))
            writer.set("falcon.vocab_size", .uint32(UInt32(config.vocabularySize)))
        }
    }

    /// Adds every planned tensor (encoded on the thread pool, one tensor in memory at a time) and writes.
    static func write(_ plan: [PlannedTensor], with writer: inout GGUFWriter, to path: String, threads: Int,
                      progress: (String) -> Void) throws {
        let pool = ThreadPool(threads: threads)
        for tensor in plan {
            let info = TensorInfo(name: tensor.name, type: tensor.type, shape: tensor.isVector ? [tensor.columns] : [tensor.rows, tensor.columns])
            try writer.addTensor(info) {
                encode(tensor, pool: pool)
            }
        }
        progress("writing \(plan.count) tensors to \(path)")
        try writer.write(to: path)
    }

    static func encode(_ tensor: PlannedTensor, pool: ThreadPool) -> Data {
        let rowBytes = tensor.type.rowBytes(count: tensor.columns)
        var data = Data(count: rowBytes * tensor.rows)
        data.withUnsafeMutableBytes { output in
            let base = output.baseAddress!
            pool.parallelFor(tensor.rows) { _, rows in
                let row = UnsafeMutablePointer<Float>.allocate(capacity: tensor.columns)
                defer { row.deallocate() }
                for index in rows {
                    tensor.row(index, row)
                    tensor.type.quantize(row, count: tensor.columns, into: base + index * rowBytes)
                }
            }
        }
        return data
    }
}

/// Normal deviates from SplitMix64 and Box–Muller: reproducible across machines and thread counts.
struct SplitMixNormal {
    private var state: UInt64
    private var spare: Float?

    init(seed: UInt64) { state = seed }

    private mutating func nextUniform() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Float(z >> 40) + 0.5) * 0x1p-24
    }

    mutating func next() -> Float {
        if let spare {
            self.spare = nil
            return spare
        }
        let radius = (-2 * logf(nextUniform())).squareRoot(), angle = 2 * Float.pi * nextUniform()
        spare = radius * sinf(angle)
        return radius * cosf(angle)
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: stable across runs (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 {
        utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}
