import Foundation
import Testing
import ModelFiles
import TestSupport
@testable import Kernels

/// Our reference quantizers against llama-quantize's own output (llama.cpp c392e50, no imatrix): quantizing
/// the same f32 rows must give the same bytes.
struct QuantOracleTests {
    /// Quantizes every row of `source` (f32 or bf16) as `format` and counts the blocks whose bytes differ from
    /// `expected`'s.
    static func mismatchedBlocks(_ source: TensorView, _ expected: TensorView, _ format: TensorType,
                                 rows rowLimit: Int = .max) -> (blocks: Int, mismatched: Int, first: String?) {
        let columns = expected.info.rowLength
        let rows = min(expected.info.rowCount, rowLimit)
        let rowBytes = format.rowBytes(count: columns)
        var x = [Float](repeating: 0, count: columns)
        var out = [UInt8](repeating: 0, count: rowBytes)
        var mismatched = 0, first: String?
        for r in 0..<rows {
            switch source.info.type {
            case .f32:
                let p = source.bytes.baseAddress! + r * columns * 4
                for i in 0..<columns { x[i] = p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            case .bf16:
                let p = source.bytes.baseAddress! + r * columns * 2
                for i in 0..<columns { x[i] = Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
            default:
                Issue.record("unexpected source type \(source.info.type)")
                return (0, 0, nil)
            }
            x.withUnsafeBufferPointer { xs in
                out.withUnsafeMutableBytes { o in ReferenceQuantizer.quantize(format, xs.baseAddress!, count: columns, into: o.baseAddress!) }
            }
            let want = UnsafeRawBufferPointer(rebasing: expected.bytes[(r * rowBytes)..<((r + 1) * rowBytes)])
            for b in 0..<(columns / format.blockSize) {
                let range = (b * format.bytesPerBlock)..<((b + 1) * format.bytesPerBlock)
                if !out[range].elementsEqual(want[range]) {
                    mismatched += 1
                    if first == nil { first = "\(expected.info.name) row \(r) block \(b): got \(Array(out[range])) want \(Array(want[range]))" }
                }
            }
        }
        return (rows * columns / format.blockSize, mismatched, first)
    }

    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared"),
          arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"])
    func legacyTypesMatchLlamaQuantizeOnTheRandomModel(_ name: String) throws {
        let f32 = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.F32.gguf")).path)
        let quantized = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.\(name).gguf")).path)
        var checked = 0
        for info in quantized.tensorInfos {
            let format = info.type
            guard format.isQuantized else { continue }
            let result = Self.mismatchedBlocks(try f32.requireTensor(named: info.name), try quantized.requireTensor(named: info.name), format)
            #expect(result.mismatched == 0, "\(info.name) \(format): \(result.mismatched)/\(result.blocks) blocks differ; \(result.first ?? "")")
            checked += 1
        }
        #expect(checked >= 5)
    }

    static let hfNames: [String: String] = [
        "attn_qkv": "self_attention.query_key_value", "attn_output": "self_attention.dense",
        "ffn_up": "mlp.dense_h_to_4h", "ffn_down": "mlp.dense_4h_to_h",
    ]

    /// claire-tiny-fr's K-quant files were made from its bf16 weights upcast exactly; each K tensor (and a slice
    /// of the Q8_0 token embedding) must come out byte-identical.
    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared"),
          arguments: ["Q2_K", "Q4_K_M", "Q5_K_M"])
    func kQuantsMatchLlamaQuantizeOnClaireTiny(_ name: String) throws {
        let weights = try SafetensorsCheckpoint(path: try #require(SharedFiles.url("reference/models/claire-tiny-fr")).path)
        let quantized = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/claire-tiny-fr.\(name).gguf")).path)
        var checked = 0
        for info in quantized.tensorInfos {
            let format = info.type
            guard format.isQuantized else { continue }
            let hf: String
            var rowLimit = Int.max
            if info.name == "token_embd.weight" {
                hf = "transformer.word_embeddings.weight"
                rowLimit = 512
            } else {
                let parts = info.name.split(separator: ".")
                hf = "transformer.h.\(parts[1]).\(Self.hfNames[String(parts[2])]!).weight"
            }
            let result = Self.mismatchedBlocks(try weights.requireTensor(named: hf), try quantized.requireTensor(named: info.name), format, rows: rowLimit)
            #expect(result.mismatched == 0, "\(info.name) \(format): \(result.mismatched)/\(result.blocks) blocks differ; \(result.first ?? "")")
            checked += 1
        }
        #expect(checked == 25)
    }
}
