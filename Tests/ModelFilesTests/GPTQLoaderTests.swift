import Foundation
import Kernels
import Testing
import TestSupport
@testable import ModelFiles

/// GPTQ folders made here (small synthetic ones): every layout choice against the scalar decoding, the v1/v2
/// zero convention, shards, and the one-line errors for what the loader refuses.
struct GPTQLoaderTests {
    /// Two layers, hidden 256 (group 128 → two full groups), FFN 320 (group 128 → a partial last group of 64).
    static let config = FalconConfig(hiddenSize: 256, headCount: 4, kvHeadCount: 1, layerCount: 2, vocabularySize: 96, feedForwardSize: 320)

    static func folder(_ shape: GPTQSynthesizer.Shape, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("gptq").path
        try GPTQSynthesizer.write(config: config, shape: shape, directory: path)
        return path
    }

    /// Every weight of every quantized layer, widened from the layout the loader chose and put back in file
    /// order, equals the scalar decoding bit for bit.
    static func expectLayoutsExact(_ path: String) throws -> [String: String] {
        let checkpoint = try #require(try OpenedModel.open(path: path).tensors as? GPTQCheckpoint)
        var layouts: [String: String] = [:]
        for info in checkpoint.tensorInfos where info.name.hasSuffix(".weight") && checkpoint.layouts[info.name] != nil {
            let prefix = String(info.name.dropLast(7))
            let module = try GPTQModule(prefix: prefix, settings: checkpoint.settings, expected: (info.shape[0], info.shape[1]),
                                        tensors: checkpoint.checkpoint, file: { $0 })
            let view = try #require(checkpoint.tensor(named: info.name))
            let columns = info.shape[1]
            var scalar = [Float](repeating: 0, count: columns), stored = [Float](repeating: 0, count: columns)
            var mismatches = 0
            for o in 0..<info.shape[0] {
                module.dequantizeRow(o, into: &scalar)
                let rowBytes = columns / info.type.blockSize * info.type.bytesPerBlock
                let row = view.bytes.baseAddress! + o * rowBytes
                if info.type == .f32 {
                    stored.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: row, count: 4 * columns)) }
                } else {
                    info.type.dequantize(row, count: columns, into: &stored)
                }
                let order = view.columnOrder.map { $0.map { Int($0) } } ?? Array(0..<columns)
                for j in 0..<columns where stored[j].bitPattern != scalar[order[j]].bitPattern { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(info.name) as \(info.type)")
            layouts[String(prefix.split(separator: ".").suffix(2).joined(separator: "."))] = "\(info.type)\(view.columnOrder == nil ? "" : "+order")"
        }
        return layouts
    }

    @Test(arguments: GPTQSynthesizer.Shape.names)
    func everyTheBlokeBranchShapeLoadsExactly(_ name: String) throws {
        try withTemporaryDirectory(prefix: "claire-gptq") { directory in
            let shape = try #require(GPTQSynthesizer.Shape(name))
            let layouts = try Self.expectLayoutsExact(try Self.folder(shape, in: directory))
            let expected = shape.bits == 4 ? "Q4_0" : "Q8_0"
            // With one group (−1) the stable sort is the identity; act-order with groups regroups.
            let suffix = shape.groupSize == nil ? "" : "+order"
            #expect(Set(layouts.values) == [expected + suffix], "\(name): \(layouts)")
        }
    }

    @Test func asymmetricZerosWithoutActOrderRunAsQ8_0InFileOrder() throws {
        try withTemporaryDirectory(prefix: "claire-gptq") { directory in
            let layouts = try Self.expectLayoutsExact(try Self.folder(.init(bits: 4, groupSize: 32, actOrder: false, symmetric: false), in: directory))
            #expect(Set(layouts.values) == ["Q8_0"], "\(layouts)")
        }
    }

    @Test func eightBitAsymmetricZerosFallBackToExactFloats() throws {
        try withTemporaryDirectory(prefix: "claire-gptq") { directory in
            let path = try Self.folder(.init(bits: 8, groupSize: 64, actOrder: true, symmetric: false), in: directory)
            #expect(Set(try Self.expectLayoutsExact(path).values) == ["F32"])
            let checkpoint = try #require(try OpenedModel.open(path: path).tensors as? GPTQCheckpoint)
            #expect(checkpoint.layouts.values.allSatisfy { $0.fallbackReason?.contains("asymmetric") == true })
        }
    }

    /// gptq_v2 stores the real zero: the same files read as v2 have every zero one lower (7, not 8), so the
    /// layers are no longer symmetric Q4_0 but exact Q8_0 of q − 7.
    @Test func version2ZerosAreNotIncremented() throws {
        try withTemporaryDirectory(prefix: "claire-gptq") { directory in
            let path = try Self.folder(.init(bits: 4, groupSize: 128), in: directory)
            for file in ["config.json", "quantize_config.json"] {
                try Self.edit(path + "/" + file) { json in
                    if var quantization = json["quantization_config"] as? [String: Any] {
                        quantization["checkpoint_format"] = "gptq_v2"
                        json["quantization_config"] = quantization
                    } else {
                        json["checkpoint_format"] = "gptq_v2"
                    }
                }
            }
            let checkpoint = try #require(try OpenedModel.open(path: path).tensors as? GPTQCheckpoint)
            #expect(checkpoint.settings.storesZeroMinusOne == false)
            let module = try GPTQModule(prefix: "transformer.h.0.self_attention.dense", settings: checkpoint.settings,
                                        expected: (256, 256), tensors: checkpoint.checkpoint, file: { $0 })
            #expect(module.zero(0, 0) == 7)
            #expect(Set(try Self.expectLayoutsExact(path).values) == ["Q8_0+order"])
        }
    }

    @Test func shardedCheckpointsWithAnIndexLoad() throws {
        try withTemporaryDirectory(prefix: "claire-gptq") { directory in
            let shape = GPTQSynthesizer.Shape(bits: 4, groupSize: 64)
            let single = try Self.folder(shape, in: directory)
            let sharded = directory.appendingPathComponent("sharded").path
            try FileManager.default.createDirectory(atPath: sharded, withIntermediateDirectories: true)
            let tensors = GPTQSynthesizer.tensors(config: Self.config, shape: shape, seed: 42)
            let half = tensors.count / 2
            var map: [String: String] = [:]
            for (index, part) in [tensors[..<half], tensors[half...]].enumerated() {
                let name = "model-0000\(index + 1)-of-00002.safetensors"
                try SafetensorsWriter.write(Array(part), to: sharded + "/" + name)
                for tensor in part { map[tensor.name] = name }
            }
            try JSONSerialization.data(withJSONObject: ["weight_map": map]).write(to: URL(fileURLWithPath: sharded + "/model.safetensors.index.json"))
            try GPTQSynthesizer.writeConfigs(config: Self.config, shape: shape, directory: sharded)
            let one = try OpenedModel.open(path: single), two = try OpenedModel.open(path: sharded)
            #expect(two.files.count == 2)
            for info in one.tensors.tensorInfos {
                let a = try #require(one.tensors.tensor(named: info.name)), b = try #require(two.tensors.tensor(named: info.name))
                #expect(a.info == b.info && a.columnOrder == b.columnOrder)
                #expect(Array(a.bytes) == Array(b.bytes), "\(info.name)")
            }
        }
    }

    /// `quantize --model GPTQ_DIR --type f32` goes through floats: every GGUF weight is the scalar decoding, in
    /// the file's column order (the regrouping undone).
    @Test func convertingToGGUFWritesTheDequantizedWeights() throws {
        try withTemporaryDirectory(prefix: "claire-gptq") { directory in
            let path = try Self.folder(.init(bits: 4, groupSize: 64), in: directory)
            let opened = try OpenedModel.open(path: path)
            let output = directory.appendingPathComponent("out.gguf").path
            try FalconGGUFConverter.convert(opened, to: TensorType.f32, path: output, threads: 2)
            let gguf = try GGUFFile(path: output)
            let checkpoint = try #require(opened.tensors as? GPTQCheckpoint)
            // One KV head: llama.cpp's QKV row order is Hugging Face's, so rows compare one to one.
            for (hf, name, shape) in [("transformer.h.1.mlp.dense_4h_to_h", "blk.1.ffn_down.weight", (256, 320)),
                                      ("transformer.h.0.self_attention.query_key_value", "blk.0.attn_qkv.weight", (384, 256))] {
                let module = try GPTQModule(prefix: hf, settings: checkpoint.settings, expected: shape, tensors: checkpoint.checkpoint, file: { $0 })
                let view = try #require(gguf.tensor(named: name))
                #expect(view.info.type == .f32 && view.info.shape == [shape.0, shape.1])
                let written = view.bytes.bindMemory(to: Float.self)
                var row = [Float](repeating: 0, count: shape.1)
                var mismatches = 0
                for o in 0..<shape.0 {
                    module.dequantizeRow(o, into: &row)
                    for i in 0..<shape.1 where written[o * shape.1 + i].bitPattern != row[i].bitPattern { mismatches += 1 }
                }
                #expect(mismatches == 0, "\(name)")
            }
        }
    }

    // MARK: - Refusals: one line naming the file (and the tensor where there is one)

    static func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    }

    /// The error opening a synthetic folder after `change`, checked to be one line.
    static func openingError(_ change: (String) throws -> Void) throws -> ModelFileError {
        try withTemporaryDirectory(prefix: "claire-gptq") { directory in
            let path = try folder(.init(bits: 4, groupSize: 128), in: directory)
            try change(path)
            do {
                _ = try OpenedModel.open(path: path)
                Issue.record("opened without an error")
                return ModelFileError(path, "no error")
            } catch let error as ModelFileError {
                #expect(!error.description.contains("\n"))
                return ModelFileError(error.path.replacingOccurrences(of: path + "/", with: ""), at: error.offset, error.message)
            }
        }
    }

    static func setQuantization(_ key: String, _ value: Any) -> (String) throws -> Void {
        { path in try edit(path + "/quantize_config.json") { $0[key] = value } }
    }

    @Test(arguments: [2, 3])
    func twoAndThreeBitsAreRefused(_ bits: Int) throws {
        let error = try Self.openingError(Self.setQuantization("bits", bits))
        #expect(error.path == "quantize_config.json" && error.message.contains("\(bits)-bit is not supported"), "\(error)")
    }

    @Test func otherQuantMethodsAreRefused() throws {
        let error = try Self.openingError(Self.setQuantization("quant_method", "awq"))
        #expect(error.message.contains("quant_method \"awq\""), "\(error)")
    }

    @Test func packDTypesOtherThanInt32AreRefused() throws {
        let error = try Self.openingError(Self.setQuantization("pack_dtype", "int16"))
        #expect(error.message.contains("pack_dtype int16"), "\(error)")
    }

    @Test func unknownCheckpointFormatsAreRefused() throws {
        let error = try Self.openingError(Self.setQuantization("checkpoint_format", "marlin"))
        #expect(error.message.contains("checkpoint_format \"marlin\""), "\(error)")
    }

    /// Rewrites the folder's weights with `change` applied to the tensor list.
    static func rewriteTensors(_ change: @escaping (inout [SafetensorsWriter.Tensor]) -> Void) -> (String) throws -> Void {
        { path in
            var tensors = GPTQSynthesizer.tensors(config: config, shape: .init(bits: 4, groupSize: 128), seed: 42)
            change(&tensors)
            try SafetensorsWriter.write(tensors, to: path + "/model.safetensors")
        }
    }

    @Test func aMissingGIndexIsRefused() throws {
        let error = try Self.openingError(Self.rewriteTensors { $0.removeAll { $0.name == "transformer.h.1.mlp.dense_h_to_4h.g_idx" } })
        #expect(error.path == "model.safetensors" && error.message.contains("transformer.h.1.mlp.dense_h_to_4h.g_idx is missing"), "\(error)")
    }

    @Test func anOutOfRangeGIndexIsRefused() throws {
        let error = try Self.openingError(Self.rewriteTensors { tensors in
            let index = tensors.firstIndex { $0.name == "transformer.h.0.self_attention.dense.g_idx" }!
            tensors[index].write = { emit in
                var values = [Int32](repeating: 0, count: 256)
                values[77] = 2  // two groups of 128: valid groups are 0 and 1
                try emit(values.withUnsafeBytes { Data($0) })
            }
        })
        #expect(error.path == "model.safetensors" && error.message.contains("g_idx[77] = 2 is outside 0..<2"), "\(error)")
    }

    @Test func shapesDisagreeingWithTheConfigAreRefused() throws {
        let error = try Self.openingError { path in try Self.edit(path + "/config.json") { $0["ffn_hidden_size"] = 384 } }
        #expect(error.path == "model.safetensors" && error.message.contains("transformer.h.0.mlp.dense_h_to_4h.qweight"), "\(error)")
    }

    @Test func wrongTensorDTypesAreRefused() throws {
        let error = try Self.openingError(Self.rewriteTensors { tensors in
            let index = tensors.firstIndex { $0.name == "transformer.h.0.self_attention.dense.scales" }!
            tensors[index].dtype = "BF16"
        })
        #expect(error.message.contains("transformer.h.0.self_attention.dense.scales is BF16"), "\(error)")
    }

    @Test func packedTensorsInDTypesWeCannotReadAreRefused() throws {
        let error = try Self.openingError(Self.rewriteTensors { tensors in
            let index = tensors.firstIndex { $0.name == "transformer.h.1.self_attention.query_key_value.qzeros" }!
            tensors[index].dtype = "U32"
        })
        #expect(error.path == "model.safetensors" && error.message.contains("transformer.h.1.self_attention.query_key_value.qzeros has dtype U32"), "\(error)")
    }
}
