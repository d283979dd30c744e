import Foundation
import Testing
import TestSupport
import Tokenization
@testable import Engine
@testable import ModelFiles

/// claire-tiny-fr (bf16 weights computed in fp32) against transformers' fixtures.
@Suite(.enabled(if: SharedFiles.url("reference/fixtures/claire-tiny-fr.reference.json") != nil, "needs ../shared/reference"))
struct ClaireTinyTests {
    struct Prompt: Decodable {
        var name: String
        var text: String
        var ids: [Int32]
        var greedy_ids: [Int32]
        var greedy_text: String
        var greedy_top1_margins: [Double]
    }

    struct Fixture: Decodable { var prompts: [Prompt] }

    static let fixture: Fixture? = {
        guard let url = SharedFiles.url("reference/fixtures/claire-tiny-fr.reference.json") else { return nil }
        return try? JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static let model: FalconModel? = {
        guard let url = SharedFiles.url("reference/models/claire-tiny-fr") else { return nil }
        return try? FalconModel(path: url.path, threads: 2)
    }()

    @Test func promptsTokenizeLikeTransformers() throws {
        let model = try #require(Self.model)
        let tokenizer = try model.opened.requireTokenizer()
        for prompt in try #require(Self.fixture).prompts {
            #expect(tokenizer.encode(prompt.text) == prompt.ids, "\(prompt.name)")
        }
    }

    @Test func lastPositionLogitsMatch() throws {
        let model = try #require(Self.model)
        let reference = try ReferenceTensors(path: try #require(SharedFiles.url("reference/fixtures/claire-tiny-fr.reference.safetensors")).path)
        for prompt in try #require(Self.fixture).prompts {
            let session = model.makeSession()
            let logits = try session.append(prompt.ids)
            let expected = try #require(reference.floats("\(prompt.name).logits_last"))
            let worst = maximumDifference(logits[...], expected[...])
            #expect(worst <= 1e-3, "\(prompt.name): max |Δlogit| = \(worst)")
        }
    }

    /// Greedy ids must agree up to the first step whose recorded top-1 margin is below 1e-3 (a near tie may
    /// legitimately flip under other float arithmetic); the text must match over the same stretch.
    @Test func greedyContinuationsMatch() throws {
        let model = try #require(Self.model)
        let tokenizer = try model.opened.requireTokenizer()
        for prompt in try #require(Self.fixture).prompts {
            let comparable = prompt.greedy_top1_margins.firstIndex { $0 < 1e-3 } ?? prompt.greedy_ids.count
            let generator = Generator(model: model)
            let result = try generator.generate(promptIDs: prompt.ids, parameters: .greedy(maxNewTokens: comparable), tokenizer: tokenizer)
            #expect(Array(result.ids.prefix(comparable)) == Array(prompt.greedy_ids.prefix(comparable)), "\(prompt.name)")
            if comparable == prompt.greedy_ids.count { #expect(result.text == prompt.greedy_text, "\(prompt.name)") }
        }
    }
}

extension ClaireTinyTests {
    /// Per-layer hidden states of the last position (a debugging aid; the logits test is the contract).
    @Test func hiddenStatesOfEveryLayer() throws {
        let model = try #require(Self.model)
        let reference = try ReferenceTensors(path: try #require(SharedFiles.url("reference/fixtures/claire-tiny-fr.reference.safetensors")).path)
        let prompt = try #require(Self.fixture?.prompts.first)
        let session = model.makeSession()
        let hidden = model.config.hiddenSize
        var states: [Int: [Float]] = [:]
        session.layerObserver = { layer, x, tokens in
            states[layer] = Array(UnsafeBufferPointer(start: x + (tokens - 1) * hidden, count: hidden))
        }
        try session.append(prompt.ids)
        for layer in 0..<model.config.layerCount {
            let expected = try #require(reference.floats("p0.hidden_\(layer)_last"))
            let got = try #require(states[layer])
            let worst = maximumDifference(got[...], expected[...])
            print("layer \(layer): max |Δ| = \(worst), max |x| = \(expected.map(abs).max()!)")
            #expect(worst <= 1e-4 * max(1, expected.map(abs).max()!), "hidden state \(layer)")
        }
    }
}
