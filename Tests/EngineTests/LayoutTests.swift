import Foundation
import Testing
import TestSupport
import Tokenization
@testable import Engine
@testable import ModelFiles

/// Every Falcon layout against transformers' logits at every position, and its KV-cache greedy continuation.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference/models/random"))
struct LayoutTests {
    static let layouts = ["falcon7b-mqa-parallel", "falcon40b-gqa-newdecoder", "falcon-mha-parallel", "falconrw-alibi-sequential"]

    /// A layout's model and transformers' record for it: the prompt and the logits at every position.
    func reference(_ layout: String) throws -> (model: FalconModel, inputs: [Int32], logits: [Float], vocab: Int) {
        let directory = try #require(SharedFiles.url("reference/models/random/\(layout)"))
        let reference = try ReferenceTensors(path: directory.appendingPathComponent("reference.safetensors").path)
        let model = try FalconModel(path: directory.path, threads: 2)
        return (model, try #require(reference.ints("input_ids")), try #require(reference.floats("logits")), model.config.vocabularySize)
    }

    @Test(arguments: layouts)
    func logitsAtEveryPositionMatchTransformers(layout: String) throws {
        let (model, inputs, expected, vocab) = try reference(layout)
        // A small batch forces several prefill batches through the KV cache.
        for batch in [24, 5] {
            let session = model.makeSession(maximumBatch: batch)
            var worst: Float = 0
            var rows = 0
            try session.append(inputs) { row, logits in
                rows += 1
                let got = Array(UnsafeBufferPointer(start: logits, count: vocab))
                worst = max(worst, maximumDifference(got[...], expected[(row * vocab)..<((row + 1) * vocab)]))
            }
            #expect(rows == inputs.count && inputs.count == 24)
            #expect(worst <= 1e-3, "\(layout), batch \(batch): max |Δlogit| = \(worst)")
            print("\(layout) batch \(batch): max |Δlogit| = \(worst)")
        }
    }

    /// A prompt whose only the last logits are wanted skips the last layer's other rows: those logits must
    /// still be transformers', whether the prompt fits one batch or ends in a partial one.
    @Test(arguments: layouts)
    func promptLastLogitsMatchTransformers(layout: String) throws {
        let (model, inputs, expected, vocab) = try reference(layout)
        for batch in [24, 7] {
            for length in [24, 13] {
                let logits = try model.makeSession(maximumBatch: batch).append(Array(inputs.prefix(length)))
                let worst = maximumDifference(logits[...], expected[((length - 1) * vocab)..<(length * vocab)])
                #expect(worst <= 1e-3, "\(layout), batch \(batch), \(length) tokens: max |Δlogit| = \(worst)")
            }
        }
    }

    @Test(arguments: layouts)
    func greedyDecodingWithTheCacheMatchesTransformers(layout: String) throws {
        let directory = try #require(SharedFiles.url("reference/models/random/\(layout)"))
        let reference = try ReferenceTensors(path: directory.appendingPathComponent("reference.safetensors").path)
        let inputs = try #require(reference.ints("input_ids"))
        let expected = try #require(reference.ints("greedy_ids"))
        let session = try FalconModel(path: directory.path, threads: 2).makeSession()
        var logits = try session.append(inputs)
        var generated: [Int32] = []
        for _ in 0..<expected.count {
            let next = Int32(logits.withUnsafeBufferPointer(argmax))
            generated.append(next)
            logits = try session.append([next])
        }
        #expect(generated == expected, "\(layout)")
    }
}
