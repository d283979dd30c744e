import Foundation
import Kernels

/// A GPTQ checkpoint (AutoGPTQ/GPTQModel layout, as in TheBloke's Falcon downloads) seen as an ordinary
/// Hugging Face tensor source: each quantized layer's `qweight`/`qzeros`/`scales`/`g_idx` are replaced by
/// one `<layer>.weight` in the layout `GPTQRepacker` chose (Q4_0/Q8_0 blocks with a column order, or exact
/// f32 rows), held in memory; every other tensor (embedding, norms, biases) is the checkpoint's own, mapped.
public final class GPTQCheckpoint: TensorSource, @unchecked Sendable {
    public let settings: GPTQSettings
    public let checkpoint: SafetensorsCheckpoint
    public let tensorInfos: [TensorInfo]
    /// The layout of each quantized layer's weight, by tensor name (for `inspect`), and why f32 was used.
    public let layouts: [String: (layout: String, fallbackReason: String?)]
    private let plans: [String: (module: GPTQModule, plan: GPTQRepacker.Plan)]
    private let threads: Int
    private let lock = NSLock()
    private var buffers: [String: UnsafeMutableRawBufferPointer] = [:]
    private var pool: ThreadPool?

    static let quantizedSuffixes = [".qweight", ".qzeros", ".scales", ".g_idx"]

    /// `exactFloat` stores every layer as exact f32 rows instead of integer blocks (the tests' reference path).
    public init(directory: String, settings: GPTQSettings, config: FalconConfig, exactFloat: Bool = false, threads: Int = 0) throws {
        self.settings = settings
        let checkpoint = try SafetensorsCheckpoint(path: directory)
        self.checkpoint = checkpoint
        func file(_ name: String) -> String {
            checkpoint.files.first { $0.contains(name) }?.file.path ?? checkpoint.indexPath ?? directory
        }
        let hidden = config.hiddenSize
        let qkvRows = (config.headCount + 2 * config.kvHeadCount) * config.headDimension
        func expectedShape(_ prefix: String) throws -> (outputs: Int, inputs: Int) {
            let layer = prefix.hasPrefix("transformer.h.") ? Int(prefix.dropFirst(14).prefix { $0.isNumber }) : nil
            if let layer, layer < config.layerCount {
                switch prefix.dropFirst("transformer.h.\(layer).".count) {
                case "self_attention.query_key_value": return (qkvRows, hidden)
                case "self_attention.dense": return (hidden, hidden)
                case "mlp.dense_h_to_4h": return (config.feedForwardSize, hidden)
                case "mlp.dense_4h_to_h": return (hidden, config.feedForwardSize)
                default: break
                }
            }
            if prefix == "lm_head" { return (config.vocabularySize, hidden) }
            throw ModelFileError(file(prefix + ".qweight"), "tensor \(prefix).qweight: \(prefix) is not a Falcon linear layer this engine knows")
        }
        // Per file: a single-file checkpoint's `skippedTensors` lists none (only indexed shards own skipped names).
        for shard in checkpoint.files {
            for (name, dtype) in shard.skippedTensors where Self.quantizedSuffixes.contains(where: name.hasSuffix) {
                throw ModelFileError(shard.file.path, "tensor \(name) has dtype \(dtype); GPTQ stores it as \(name.hasSuffix(".scales") ? "F16" : "I32")")
            }
        }
        let prefixes = checkpoint.tensorInfos.map(\.name).filter { $0.hasSuffix(".qweight") }.map { String($0.dropLast(8)) }
        guard !prefixes.isEmpty else {
            throw ModelFileError(settings.source, "quantization_config says GPTQ but no tensor in \(directory) is a qweight")
        }
        let modules = try prefixes.map { prefix in
            try GPTQModule(prefix: prefix, settings: settings, expected: try expectedShape(prefix), tensors: checkpoint, file: file)
        }
        var plans: [String: (module: GPTQModule, plan: GPTQRepacker.Plan)] = [:]
        for module in modules {
            plans[module.prefix + ".weight"] = (module, GPTQRepacker.plan(module, exactFloat: exactFloat))
        }
        for name in plans.keys where checkpoint.tensor(named: name) != nil {
            throw ModelFileError(file(name), "tensor \(name) is stored both as floats and as GPTQ integers")
        }
        self.plans = plans
        self.threads = threads
        layouts = plans.mapValues { ($0.plan.layout.rawValue, $0.plan.fallbackReason) }
        let quantizedNames = Set(prefixes.flatMap { prefix in Self.quantizedSuffixes.map { prefix + $0 } })
        tensorInfos = checkpoint.tensorInfos.filter { !quantizedNames.contains($0.name) }
            + modules.map { TensorInfo(name: $0.prefix + ".weight", type: plans[$0.prefix + ".weight"]!.plan.tensorType, shape: [$0.outputs, $0.inputs]) }
    }

    deinit {
        for buffer in buffers.values { buffer.deallocate() }
    }

    /// A quantized layer's weight is built on first request (so `inspect` costs no conversion), then kept.
    public func tensor(named name: String) -> TensorView? {
        guard let (module, plan) = plans[name] else { return checkpoint.tensor(named: name) }
        let buffer = lock.withLock {
            if let buffer = buffers[name] { return buffer }
            if pool == nil { pool = ThreadPool(threads: threads) }
            let buffer = GPTQRepacker.materialize(module, plan, pool: pool!)
            module.releaseMappedPages()
            buffers[name] = buffer
            return buffer
        }
        let info = TensorInfo(name: name, type: plan.tensorType, shape: [module.outputs, module.inputs])
        let count = info.rowCount * info.rowLength / info.type.blockSize * info.type.bytesPerBlock
        var view = TensorView(info: info, bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        view.columnOrder = plan.columnOrder
        return view
    }

    public func requireTensor(named name: String) throws -> TensorView {
        if let view = tensor(named: name) { return view }
        return try checkpoint.requireTensor(named: name)
    }
}
