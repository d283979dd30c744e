import Foundation
import Testing
import TestSupport
import ModelFiles
import Tokenization
@testable import Engine

/// The batched engine: a request's output must not depend on the batch it runs in, nor on how its prompt is
/// cut into chunks, nor on a reused prefix; requests end at different times and free their slots.
struct BatchGeneratorTests {
    /// The bundled Q8_0 file (integer decode beside prefill tiles), the bf16 checkpoint (half-precision decode
    /// beside BLAS tiles), and random models of the other layouts (ALiBi, grouped K/V heads).
    static let modelPaths: [String] = [
        SharedFiles.repository("Samples/models/claire-tiny-fr.Q8_0.gguf").path,
        SharedFiles.url("reference/models/claire-tiny-fr")?.path,
        SharedFiles.url("reference/models/random/falconrw-alibi-sequential")?.path,
        SharedFiles.url("reference/models/random/falcon40b-gqa-newdecoder")?.path,
    ].compactMap { $0 }

    struct Outcome: Equatable {
        var ids: [TokenID]
        var text: String
        var stopReason: StopReason
        var streamed: String
    }

    /// Runs `requests` through one generator of `sequences` slots, handing them out as slots free up.
    static func run(_ generator: BatchGenerator, _ requests: [GenerationRequest]) throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: requests.count)
        var streamed = [String](repeating: "", count: requests.count)
        var nextIndex = 0
        try generator.run(next: { _ -> BatchGenerator.Pull<Int> in
            guard nextIndex < requests.count else { return .end }
            defer { nextIndex += 1 }
            return .request(requests[nextIndex], nextIndex)
        }, onEvent: { index, event in
            switch event {
            case .token(_, let logprob, let text):
                #expect(logprob <= 0 && logprob.isFinite)
                streamed[index] += text
            case .finished(let result, let finalText):
                streamed[index] += finalText
                outcomes[index] = Outcome(ids: result.ids, text: result.text, stopReason: result.stopReason, streamed: streamed[index])
            case .failed(let error):
                Issue.record("request \(index) failed: \(error)")
            }
            return true
        })
        return try outcomes.map { try #require($0) }
    }

    /// Prompts of different lengths, sampled and greedy, with stops and limits that end them at different times.
    static func requests(_ tokenizer: FalconTokenizer) -> [GenerationRequest] {
        let texts = [
            "[Intervenant 1:] Bonjour, comment allez-vous ?\n[Intervenant 2:]",
            "[Intervenant 1:] Alors",
            "- On commence par la réunion de mardi, puis on verra le budget de l'année prochaine avec toute l'équipe.\n-",
            "[Intervenant 1:] Je voulais vous demander",
            "Bonjour",
            "[Intervenant 2:] oui oui tout à fait et puis euh",
        ]
        return texts.enumerated().map { index, text in
            var parameters = index % 3 == 0 ? GenerationParameters.greedy(maxNewTokens: 12 + index) : GenerationParameters()
            parameters.maxNewTokens = 10 + 3 * index
            parameters.seed = UInt64(100 + index)
            parameters.stopAtEndOfText = index % 2 == 0
            if index == 1 { parameters.stopStrings = ["\n"] }
            if index == 4 { parameters.repetitionPenalty = 1.3; parameters.topP = 0.9 }
            return GenerationRequest(promptIDs: tokenizer.encode(text), parameters: parameters)
        }
    }

    @Test(arguments: modelPaths)
    func theOutputDoesNotDependOnTheBatchNorOnPromptChunks(path: String) throws {
        let model = try FalconModel(path: path, threads: 2)
        // The random models carry no tokenizer: Falcon's, with the prompts' ids folded into their small vocabulary.
        let tokenizer = try model.opened.tokenizer ?? OpenedModel.open(path: Self.modelPaths[0]).requireTokenizer()
        let vocabulary = TokenID(model.config.vocabularySize)
        let requests = Self.requests(tokenizer).map { request in
            var request = request
            request.promptIDs = request.promptIDs.map { $0 % vocabulary }
            return request
        }
        // Each request alone, in a fresh generator (no cache to reuse).
        let alone = try requests.map { try Self.run(BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: 1), [$0])[0] }
        for outcome in alone {
            #expect(outcome.streamed == outcome.text)
            #expect(!outcome.ids.isEmpty || outcome.stopReason == .endOfText)
        }
        for (sequences, chunk) in [(1, 128), (3, 5), (8, 128), (16, 1)] {
            let batched = try Self.run(BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: sequences, prefillChunk: chunk), requests)
            #expect(batched == alone, "\(sequences) sequences, prompt chunks of \(chunk): \(path)")
        }
    }

    /// bench-pipeline's prefill and decode rates come from the steps' accounting: the prompt read in chunks,
    /// the first token sampled by the step that read the prompt's end, every later token by a decode-only step.
    @Test func stepsAreCountedByKind() throws {
        let model = try FalconModel(path: Self.modelPaths[0], threads: 2)
        let tokenizer = try model.opened.requireTokenizer()
        var parameters = GenerationParameters.greedy(maxNewTokens: 7)
        parameters.stopAtEndOfText = false
        let prompt = tokenizer.encode("[Intervenant 1:] Bonjour à tous, merci d'être venus ce matin.\n[Intervenant 2:]")
        let generator = BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: 1, prefillChunk: 4)
        let outcome = try Self.run(generator, [GenerationRequest(promptIDs: prompt, parameters: parameters)])[0]
        #expect(outcome.ids.count == 7)
        let steps = generator.steps
        #expect(steps.promptSteps == (prompt.count + 3) / 4)
        #expect(steps.promptTokens == prompt.count && steps.promptTokens == generator.prefilledTokens)
        #expect(steps.decodeSteps == 6 && steps.decodeTokens == 6)
        #expect(steps.promptSeconds > 0 && steps.decodeSeconds > 0)
        #expect(steps.decodeTokensPerSecond == Double(6) / steps.decodeSeconds)
    }

    @Test func aSharedPrefixIsReusedAndGivesTheSameText() throws {
        let model = try FalconModel(path: Self.modelPaths[0], threads: 2)
        let tokenizer = try model.opened.requireTokenizer()
        let window = "[Intervenant 1:] Bonjour à tous, merci d'être venus. On a beaucoup de choses à voir ce matin.\n[Intervenant 2:] Oui, on commence par le budget ?\n"
        var parameters = GenerationParameters()
        parameters.maxNewTokens = 16
        parameters.stopAtEndOfText = false
        // A continuation and a complete-turn over the same window, and four samples of the continuation.
        var requests = [GenerationRequest(promptIDs: tokenizer.encode(window), parameters: parameters),
                        GenerationRequest(promptIDs: tokenizer.encode(window + "[Intervenant 1:]"), parameters: parameters)]
        for seed in 1...4 {
            parameters.seed = UInt64(seed)
            requests.append(GenerationRequest(promptIDs: tokenizer.encode(window), parameters: parameters))
        }
        let alone = try requests.map { try Self.run(BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: 1), [$0])[0] }
        for sequences in [1, 4] {
            let generator = BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: sequences, prefillChunk: 8)
            let together = try Self.run(generator, requests)
            #expect(together == alone, "\(sequences) sequences")
            let shared = tokenizer.encode(window).count - 1
            // Every request after the first starts from a copy (in place or from a sharer) of the window.
            #expect(generator.reusedPrefixTokens >= shared * (requests.count - 1), "\(sequences) sequences: reused \(generator.reusedPrefixTokens)")
            #expect(generator.prefilledTokens <= requests.map(\.promptIDs.count).reduce(0, +) - generator.reusedPrefixTokens)
        }
    }

    @Test func aFailedOrCancelledRequestLeavesTheOthersAlone() throws {
        let model = try FalconModel(path: Self.modelPaths[0], threads: 2)
        let tokenizer = try model.opened.requireTokenizer()
        let requests = Self.requests(tokenizer)
        let alone = try Self.run(BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: 4), requests)
        let tooLong = GenerationRequest(promptIDs: [TokenID](repeating: 1000, count: model.config.contextLength + 1), parameters: .greedy(maxNewTokens: 4))
        var all = requests
        all.insert(tooLong, at: 2)
        all.insert(GenerationRequest(promptIDs: tokenizer.encode("[Intervenant 1:] On annule"), parameters: .greedy(maxNewTokens: 50)), at: 1)
        var failures: [Int: EngineError] = [:]
        var results: [Int: [TokenID]] = [:]
        var tokensOfCancelled = 0
        var nextIndex = 0
        try BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: 4).run(next: { _ -> BatchGenerator.Pull<Int> in
            guard nextIndex < all.count else { return .end }
            defer { nextIndex += 1 }
            return .request(all[nextIndex], nextIndex)
        }, onEvent: { index, event in
            switch event {
            case .token:
                if index == 1 {
                    tokensOfCancelled += 1
                    return tokensOfCancelled < 3
                }
            case .finished(let result, _): results[index] = result.ids
            case .failed(let error): failures[index] = error
            }
            return true
        })
        #expect(failures == [3: .promptTooLong(tokens: model.config.contextLength + 1, context: model.config.contextLength)])
        #expect(tokensOfCancelled == 3 && results[1] == nil, "the cancelled request gets no further event")
        let survivors = [0, 2, 4, 5, 6, 7].map { results[$0] }
        #expect(survivors == alone.map(\.ids))
    }

    /// The one-prompt `Generator` is the batch of one: the same text as in any batch.
    @Test func theGeneratorIsTheBatchOfOne() throws {
        let model = try FalconModel(path: Self.modelPaths[0], threads: 2)
        let tokenizer = try model.opened.requireTokenizer()
        let requests = Self.requests(tokenizer)
        let batched = try Self.run(BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: 6), requests)
        let generator = Generator(model: model)
        for (request, expected) in zip(requests, batched) {
            let result = try generator.generate(promptIDs: request.promptIDs, parameters: request.parameters, tokenizer: tokenizer)
            #expect(result.ids == expected.ids && result.text == expected.text)
        }
    }
}
