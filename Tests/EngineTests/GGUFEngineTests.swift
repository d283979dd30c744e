import Foundation
import Testing
import TestSupport
@testable import Engine
@testable import ModelFiles
import Kernels

/// The random Falcon-7B-layout model converted to GGUF by llama.cpp's tooling: the same model, other names,
/// the "jploski" QKV order, innermost-first shapes.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference/gguf/random"))
struct GGUFEngineTests {
    static let directory = SharedFiles.url("reference/gguf/random")
    static let layout = "falcon7b-mqa-parallel"

    func logits(of path: String, inputs: [Int32]) throws -> [Float] {
        let model = try FalconModel(path: path, threads: 2)
        let vocab = model.config.vocabularySize
        var all = [Float](repeating: .nan, count: inputs.count * vocab)
        try model.makeSession().append(inputs) { row, logits in
            for i in 0..<vocab { all[row * vocab + i] = logits[i] }
        }
        return all
    }

    func transformers() throws -> (inputs: [Int32], logits: [Float]) {
        let directory = try #require(SharedFiles.url("reference/models/random/\(Self.layout)"))
        let reference = try ReferenceTensors(path: directory.appendingPathComponent("reference.safetensors").path)
        return (try #require(reference.ints("input_ids")), try #require(reference.floats("logits")))
    }

    @Test func f32GGUFGivesTheSafetensorsLogits() throws {
        let (inputs, expected) = try transformers()
        let path = try #require(Self.directory).appendingPathComponent("\(Self.layout).F32.gguf").path
        let got = try logits(of: path, inputs: inputs)
        let worst = maximumDifference(got[...], expected[...])
        print("F32 GGUF vs transformers: max |Δlogit| = \(worst)")
        #expect(worst <= 1e-3)
    }

    /// F16 weights are rounded, so transformers' logits on the f32 weights are not the oracle, and llama.cpp's
    /// logits are not either: its F16 matmuls also round the activations to f16 (they differ from ours by
    /// ~3e-3, as much as the weight rounding itself moves the logits). The oracle is the safetensors model with
    /// its matrices rounded to f16 the way the converter does (round to nearest even; norms stay f32), run
    /// through the Hugging Face path that matches transformers: the GGUF path must give the same logits.
    @Test func f16GGUFGivesTheLogitsOfTheSafetensorsRoundedToF16() throws {
        let (inputs, _) = try transformers()
        let directory = try #require(Self.directory)
        let f16 = try logits(of: directory.appendingPathComponent("\(Self.layout).F16.gguf").path, inputs: inputs)
        let f32 = try logits(of: directory.appendingPathComponent("\(Self.layout).F32.gguf").path, inputs: inputs)

        let checkpoint = try OpenedModel.open(path: try #require(SharedFiles.url("reference/models/random/\(Self.layout)")).path)
        let rounded = OpenedModel(path: checkpoint.path, format: checkpoint.format, config: checkpoint.config,
                                  tensors: HalfRoundedMatrices(checkpoint.tensors), files: checkpoint.files, tokenizer: nil)
        let vocab = checkpoint.config.vocabularySize
        var oracle = [Float](repeating: .nan, count: inputs.count * vocab)
        try FalconModel(rounded, threads: 2).makeSession().append(inputs) { row, logits in
            for i in 0..<vocab { oracle[row * vocab + i] = logits[i] }
        }
        let worst = maximumDifference(f16[...], oracle[...])
        let rounding = maximumDifference(f16[...], f32[...])
        print("F16 GGUF vs rounded safetensors: \(worst); the rounding itself moves logits by \(rounding)")
        #expect(rounding > 1e-4, "the F16 file must actually hold rounded weights")
        #expect(worst <= 1e-5)

        let llama = try ReferenceTensors(path: directory.appendingPathComponent("\(Self.layout).llama-cpp-logits.safetensors").path)
        print("F16 GGUF vs llama.cpp's own logits on it: \(maximumDifference(f16[...], try #require(llama.floats("F16.kvf32.logits"))[...]))")
    }

    /// A block type without kernels must be refused at load time, naming the type, the tensor and the file.
    /// IQ2_XXS stands for any such type: the test re-labels one tensor of the F32 file.
    @Test func aTensorTypeWithoutKernelsIsRefusedByName() throws {
        let path = try #require(Self.directory).appendingPathComponent("\(Self.layout).F32.gguf").path
        let opened = try OpenedModel.open(path: path)
        let relabeled = OpenedModel(path: opened.path, format: opened.format, config: opened.config,
                                    tensors: RelabeledTensors(opened.tensors, name: "blk.0.attn_qkv.weight", as: .iq2_xxs),
                                    files: opened.files, tokenizer: opened.tokenizer)
        #expect(throws: EngineError.unsupportedTensorType(type: "IQ2_XXS", name: "blk.0.attn_qkv.weight", model: path)) {
            _ = try FalconModel(relabeled, threads: 1)
        }
        #expect(EngineError.unsupportedTensorType(type: "IQ2_XXS", name: "blk.0.attn_qkv.weight", model: path).description
                == "unsupported tensor type IQ2_XXS for blk.0.attn_qkv.weight (\(path))")
    }
}

/// Another source's tensors, with one tensor's type replaced.
final class RelabeledTensors: TensorSource, @unchecked Sendable {
    let base: TensorSource
    let name: String
    let type: TensorType

    init(_ base: TensorSource, name: String, as type: TensorType) {
        self.base = base
        self.name = name
        self.type = type
    }

    var tensorInfos: [TensorInfo] {
        base.tensorInfos.map { $0.name == name ? TensorInfo(name: $0.name, type: type, shape: $0.shape) : $0 }
    }

    func tensor(named name: String) -> TensorView? {
        guard var view = base.tensor(named: name) else { return nil }
        if name == self.name { view.info.type = type }
        return view
    }
}

/// A checkpoint whose f32 matrices are replaced by their f16 rounding (1-D tensors such as norms are kept).
final class HalfRoundedMatrices: TensorSource, @unchecked Sendable {
    let base: TensorSource
    private var storage: [String: UnsafeMutableRawBufferPointer] = [:]

    init(_ base: TensorSource) {
        self.base = base
        for info in base.tensorInfos where info.type == .f32 && info.shape.count == 2 {
            guard let view = base.tensor(named: info.name) else { continue }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: info.elementCount * 2, alignment: 16)
            let source = view.bytes.bindMemory(to: Float.self)
            let target = buffer.bindMemory(to: UInt16.self)
            for i in 0..<info.elementCount { target[i] = HalfPrecision.half(from: source[i]) }
            storage[info.name] = buffer
        }
    }

    deinit { for buffer in storage.values { buffer.deallocate() } }

    var tensorInfos: [TensorInfo] {
        base.tensorInfos.map { storage[$0.name] == nil ? $0 : TensorInfo(name: $0.name, type: .f16, shape: $0.shape) }
    }

    func tensor(named name: String) -> TensorView? {
        guard let view = base.tensor(named: name) else { return nil }
        guard let buffer = storage[name] else { return view }
        return TensorView(info: TensorInfo(name: name, type: .f16, shape: view.info.shape), bytes: UnsafeRawBufferPointer(buffer))
    }
}
