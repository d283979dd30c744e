import Foundation
import Kernels
import Testing
import TestSupport
import Tokenization
@testable import Engine
@testable import ModelFiles

/// The GPTQ folders of ../shared/reference/gptq (TheBloke's on-disk layout, made by GPTQModel) against their
/// exact fp32 oracles: dequantized weights bit for bit, last-position logits, greedy ids and perplexity.
@Suite(.enabled(if: SharedFiles.url("reference/gptq/README.md") != nil, "needs ../shared/reference/gptq"))
struct GPTQReferenceTests {
    struct Reference: Decodable {
        struct Prompt: Decodable {
            var name: String
            var ids: [Int32]
            var greedy_ids: [Int32]
            var greedy_top1_margins: [Double]
        }
        struct Perplexity: Decodable { var value: Double; var tokens: Int; var ctx: Int }
        var prompts: [Prompt]
        var test_perplexity_first_16384: Perplexity?
    }

    static let folders = [
        "claire-tiny-fr-gptq-4bit-128g-actorder_True",
        "claire-tiny-fr-gptq-8bit--1g-actorder_True",
        "claire-tiny-fr-gptq-4bit-32g-actorder_False-asym",
        "falcon-random-320-gptq-4bit-128g-actorder_True",
    ]

    static func folder(_ name: String) throws -> String { try #require(SharedFiles.url("reference/gptq/\(name)")).path }

    static func reference(_ name: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: try folder(name) + "/reference.json")))
    }

    /// Opens a folder. The random one ships the dummy WordLevel tokenizer GPTQModel needed, which is not a
    /// Falcon tokenizer; its prompts are ids, so it is opened from links to its weights and configs only.
    static func open(_ name: String, exactFloat: Bool = false) throws -> OpenedModel {
        let path = try folder(name)
        guard name.hasPrefix("falcon-random") else { return try OpenedModel.open(path: path, gptqExactFloat: exactFloat) }
        return try withTemporaryDirectory(prefix: "claire-gptq-random") { directory in
            for file in ["config.json", "quantize_config.json", "model.safetensors"] {
                try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent(file).path, withDestinationPath: path + "/" + file)
            }
            return try OpenedModel.open(path: directory.path, gptqExactFloat: exactFloat)
        }
    }

    static func oracle(_ name: String) throws -> ReferenceTensors { try ReferenceTensors(path: try folder(name) + "/reference.safetensors") }

    /// The layer-0 modules the oracle dequantized.
    static let checkedModules = ["transformer.h.0.self_attention.query_key_value", "transformer.h.0.mlp.dense_4h_to_h"]

    /// The scalar decoding, and the integer blocks the engine runs (widened and put back in file order), equal
    /// the oracle's dequantized tensors bit for bit; the decoded zeros equal the oracle's.
    @Test(arguments: folders)
    func dequantizedWeightsAreBitExact(_ name: String) throws {
        let opened = try Self.open(name)
        let checkpoint = try #require(opened.tensors as? GPTQCheckpoint)
        let oracle = try Self.oracle(name)
        for prefix in Self.checkedModules {
            let expected = try #require(oracle.floats("dequant.\(prefix).weight"))
            let expectedZeros = try #require(oracle.ints("dequant.\(prefix).zeros"))
            let module = try GPTQModule(prefix: prefix, settings: checkpoint.settings,
                                        expected: Self.shape(opened.config, prefix),
                                        tensors: checkpoint.checkpoint, file: { $0 })
            var zeros: [Int32] = []
            for g in 0..<module.groups { for o in 0..<module.outputs { zeros.append(Int32(module.zero(g, o))) } }
            #expect(zeros == expectedZeros, "\(name) \(prefix) zeros")

            var scalar = [Float](repeating: 0, count: module.inputs)
            var fast = [Float](repeating: 0, count: module.inputs)
            var stored = [Float](repeating: 0, count: module.inputs)
            let view = try #require(checkpoint.tensor(named: prefix + ".weight"))
            let matrix = WeightMatrix(view, rows: module.outputs, columns: module.inputs)
            var scalarMismatches = 0, fastMismatches = 0
            for o in 0..<module.outputs {
                module.dequantizeRow(o, into: &scalar)
                matrix.dequantizeRow(o, into: &stored)
                if let order = view.columnOrder {
                    for j in 0..<module.inputs { fast[Int(order[j])] = stored[j] }
                } else {
                    fast = stored
                }
                for i in 0..<module.inputs {
                    let want = expected[o * module.inputs + i]
                    if scalar[i].bitPattern != want.bitPattern { scalarMismatches += 1 }
                    if fast[i].bitPattern != want.bitPattern { fastMismatches += 1 }
                }
            }
            #expect(scalarMismatches == 0, "\(name) \(prefix): scalar decoding")
            #expect(fastMismatches == 0, "\(name) \(prefix): \(view.info.type) blocks")
            print("\(name) \(prefix): \(view.info.type), column order \(view.columnOrder == nil ? "file's" : "regrouped"), \(expected.count) weights bit-exact")
        }
    }

    static func shape(_ config: FalconConfig, _ prefix: String) -> (outputs: Int, inputs: Int) {
        prefix.hasSuffix("query_key_value")
            ? ((config.headCount + 2 * config.kvHeadCount) * config.headDimension, config.hiddenSize)
            : (config.hiddenSize, config.feedForwardSize)
    }

    /// Max |Δ| of every prompt's last-position logits against the oracle, for a model loaded either way.
    static func worstLogitDifference(_ name: String, exactFloat: Bool) throws -> Float {
        let model = try FalconModel(open(name, exactFloat: exactFloat), threads: 2)
        let oracle = try oracle(name)
        var worst: Float = 0
        for prompt in try reference(name).prompts {
            let logits = try model.makeSession().append(prompt.ids)
            let expected = try #require(oracle.floats("\(prompt.name).logits_last"))
            let difference = maximumDifference(logits[...], expected[...])
            print("\(name) \(exactFloat ? "exact f32" : "int8 blocks") \(prompt.name): max |Δlogit| \(difference)")
            worst = max(worst, difference)
        }
        return worst
    }

    /// The exact path (f32 dequantized rows) computes what the oracle computes, up to f32 summation order.
    @Test(arguments: folders)
    func exactPathLogitsMatchTheOracle(_ name: String) throws {
        #expect(try Self.worstLogitDifference(name, exactFloat: true) <= 1e-4)
    }

    /// The fast path runs the weights' exact integers against activations quantized to 8 bits per product, as
    /// every int8 route of ours does (the Q4_0/Q8_0 GGUF files run the same kernels). The exact path above
    /// agrees to ~1e-5, so what is left here is that activation rounding alone.
    ///
    /// Measured worst |Δ| over every prompt (2026-12-07), with every product rounding its activations (the
    /// 4-bit layers' prompts on int8 tiles since those run on AVX2; a prompt fed token by token through the
    /// decode kernels gives the same figures, bit for bit on the random model): 0.084 (4-bit g128), 0.031
    /// (8-bit), 0.046 (asym g32), 0.225 (random, in 320). The trained models keep the bound of 0.1, below the
    /// 0.01–0.03 of GPTQModel's own fp16 kernel times four and far below their logit spread (≈ −14…20). The
    /// random model's untrained weights amplify the rounding (its logits span only ±9); it gets 0.3. (The
    /// earlier figures, 0.046 and 0.056 for the 4-bit folders, were measured while their prompts ran in f32
    /// on this CPU kind: only the decoded positions rounded.)
    @Test(arguments: folders)
    func integerPathLogitsMatchTheOracle(_ name: String) throws {
        #expect(try Self.worstLogitDifference(name, exactFloat: false) <= Self.integerPathTolerance(name))
    }

    static func integerPathTolerance(_ name: String) -> Float { name.hasPrefix("falcon-random") ? 0.3 : 0.1 }

    /// Exact path: greedy ids with the KV cache equal the oracle's up to the first step whose recorded margin
    /// is below 1e-3 (DESIGN.md's rule).
    @Test(arguments: folders)
    func exactPathGreedyContinuationsMatch(_ name: String) throws {
        let model = try FalconModel(Self.open(name, exactFloat: true), threads: 2)
        for prompt in try Self.reference(name).prompts {
            let comparable = prompt.greedy_top1_margins.firstIndex { $0 < 1e-3 } ?? prompt.greedy_ids.count
            let session = model.makeSession()
            var logits = try session.append(prompt.ids)
            var ids: [Int32] = []
            for _ in 0..<comparable {
                let next = Int32(logits.withUnsafeBufferPointer { argmax($0) })
                ids.append(next)
                logits = try session.append([next])
            }
            #expect(ids == Array(prompt.greedy_ids.prefix(comparable)), "\(name) \(prompt.name)")
        }
    }

    /// Integer path, teacher-forced along the oracle's 32 greedy ids: at every step whose recorded margin is
    /// at least 0.2 (twice the trained models' logit tolerance: two logits each off by up to that much cannot
    /// swap), the argmax is the oracle's token. Closer steps are near-ties for this path: the int8 activations
    /// measurably flip margins of 0.006–0.056, which the exact path never does.
    @Test(arguments: folders)
    func integerPathArgmaxMatchesAtEveryClearStep(_ name: String) throws {
        let model = try FalconModel(Self.open(name), threads: 2)
        let tie = 0.2
        var checked = 0, skipped = 0
        for prompt in try Self.reference(name).prompts {
            let session = model.makeSession()
            var logits = try session.append(prompt.ids)
            for (step, expected) in prompt.greedy_ids.enumerated() {
                if prompt.greedy_top1_margins[step] >= tie {
                    #expect(Int32(logits.withUnsafeBufferPointer { argmax($0) }) == expected, "\(name) \(prompt.name) step \(step)")
                    checked += 1
                } else {
                    skipped += 1
                }
                logits = try session.append([expected])
            }
        }
        print("\(name): int8 argmax checked at \(checked) steps, \(skipped) near-ties skipped")
        #expect(checked > 2 * skipped)
    }
}

/// Perplexity of each claire GPTQ folder on the first 16,384 test tokens (ctx 1024), within 0.1 % of the
/// oracle's exact-rope figure, on the integer path users run.
@Suite(.enabled(if: SharedFiles.url("reference/gptq/README.md") != nil && SharedFiles.url("reference/corpus/fredracor-test.txt") != nil,
                "needs ../shared/reference/gptq and ../shared/reference/corpus"))
struct GPTQPerplexityTests {
    @Test(arguments: GPTQReferenceTests.folders.filter { $0.hasPrefix("claire") })
    func firstSixteenThousandTokens(_ name: String) throws {
        let expected = try #require(try GPTQReferenceTests.reference(name).test_perplexity_first_16384)
        let model = try FalconModel(path: try GPTQReferenceTests.folder(name), threads: 2)
        let tokenizer = try model.opened.requireTokenizer()
        let text = try String(contentsOf: try #require(SharedFiles.url("reference/corpus/fredracor-test.txt")), encoding: .utf8)
        let ids = Perplexity.corpusIDs(String(text.prefix(200_000)), tokenizer: tokenizer)
        let result = try Perplexity.evaluate(model: model, ids: ids, context: expected.ctx, maximumTokens: expected.tokens)
        print("\(name): perplexity \(result.perplexity) over \(result.tokens) (oracle \(expected.value), ratio \(result.perplexity / expected.value))")
        #expect(result.tokens == expected.tokens)
        #expect(abs(result.perplexity / expected.value - 1) <= 1e-3)
    }
}
