import Foundation
import Testing
import TestSupport
import Tokenization
@testable import Engine

/// claire-tiny-fr's perplexity on the held-out FreDraCor plays, by the protocol `PerplexityResult` states.
@Suite(.enabled(if: SharedFiles.url("reference/corpus/fredracor-test.txt") != nil, "needs ../shared/reference/corpus"))
struct PerplexityTests {
    /// The model card's 18.9091 "over the first 16,384 tokens" at ctx 1024: 16 windows, 16,384 targets.
    @Test func firstSixteenThousandTokensMatchTransformers() throws {
        let model = try FalconModel(path: try #require(SharedFiles.url("reference/models/claire-tiny-fr")).path, threads: 2)
        let tokenizer = try model.opened.requireTokenizer()
        let text = try String(contentsOf: try #require(SharedFiles.url("reference/corpus/fredracor-test.txt")), encoding: .utf8)
        // Only the start is needed; pre-tokenization is local, so cutting far beyond 16,385 ids changes none of them.
        let ids = Perplexity.corpusIDs(String(text.prefix(200_000)), tokenizer: tokenizer)
        #expect(ids.count > 20_000)
        let result = try Perplexity.evaluate(model: model, ids: ids, context: 1024, maximumTokens: 16384)
        let reference = 18.90914632238865  // claire-tiny-fr.reference.json, test_perplexity_first_16384.ctx1024
        print("perplexity \(result.perplexity) over \(result.tokens) targets (reference \(reference))")
        #expect(result.tokens == 16384 && result.context == 1024)
        #expect(abs(result.perplexity - reference) <= 5e-4 * reference)
    }
}
