import Foundation
import Kernels
import ModelFiles
import Tokenization

/// Generates many sequences at once (continuous batching): up to `maximumSequences` requests run together,
/// each with its own KV cache, position, sampler, stop strings and limits. Every step is one forward pass
/// over all of them: each decoding sequence's next token and, within `prefillChunk` tokens, the next piece of
/// the prompts still being read, so a new prompt never stalls the others for its whole length. A sequence
/// that ends frees its slot for the next request at once.
///
/// A request's output does not depend on what runs beside it: the pass computes every row as it would alone
/// (`ForwardPass.Arithmetic.independentRows`), and sampling is per sequence with its own seed. With one
/// sequence this is the single-prompt generator (`Generator`).
///
/// A prompt that shares a prefix with what a cache holds (another step over the same window, or another
/// sample of the same prompt) starts from a copy of that prefix; when the sharer is still reading its prompt,
/// the request waits for it rather than computing the same positions twice.
public final class BatchGenerator {
    public let model: FalconModel
    public let tokenizer: FalconTokenizer
    public let maximumSequences: Int
    /// Prompt tokens read per step, across all prompts being read.
    public let prefillChunk: Int

    /// The most a request waiting for a sharer accepts to recompute instead: below this, it just starts.
    static let minimumSharedPrefix = 16

    private let pass: ForwardPass
    private let caches: [KVCache]
    /// Logits of the kept rows of a step, `[maximumSequences × vocab]`.
    private let logitRows: Buffer
    private let vocab: Int
    private let endOfText: TokenID
    private let modelEndOfText: TokenID

    /// Prompt tokens computed so far, and those reused from a cache instead (for reports).
    public var prefilledTokens: Int { steps.promptTokens }
    public private(set) var reusedPrefixTokens = 0
    /// Where the steps' time went (for reports).
    public private(set) var steps = StepAccounting()

    /// Steps are of two kinds: those that read prompt tokens (with the decoding sequences' rows beside them,
    /// since prompts are read in chunks between decode rows) and decode-only steps. Each kind's time, over
    /// the tokens it produced, gives prefill and decode rates that mean what llama-batched-bench's PP and TG
    /// mean, where dividing by the whole wall time would mix the two.
    public struct StepAccounting: Sendable, Equatable {
        /// Steps that read prompt tokens, their seconds (forward pass and sampling), and the prompt tokens read.
        public var promptSteps = 0, promptSeconds = 0.0, promptTokens = 0
        /// Steps that only decoded, their seconds, and the tokens they sampled.
        public var decodeSteps = 0, decodeSeconds = 0.0, decodeTokens = 0
        public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
        public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeTokens) / decodeSeconds : 0 }
    }

    /// `maximumSequences` KV caches are allocated now (`KVCache.bytes(for:)` each).
    public init(model: FalconModel, tokenizer: FalconTokenizer, maximumSequences: Int, prefillChunk: Int = 128) {
        self.model = model
        self.tokenizer = tokenizer
        self.maximumSequences = max(1, maximumSequences)
        self.prefillChunk = max(1, prefillChunk)
        vocab = model.config.vocabularySize
        modelEndOfText = TokenID(model.config.eosTokenID)
        endOfText = tokenizer.endOfTextID ?? modelEndOfText
        pass = ForwardPass(model: model, maximumRows: self.prefillChunk + self.maximumSequences, arithmetic: .independentRows)
        caches = (0..<self.maximumSequences).map { _ in KVCache(config: model.config) }
        logitRows = Buffer(self.maximumSequences * vocab)
    }

    /// What the source of requests answers when the generator has room for one.
    public enum Pull<Tag> {
        /// Start this request; its events carry `Tag`.
        case request(GenerationRequest, Tag)
        /// Nothing right now (asked again after the next step; when the generator is idle, the source may
        /// block until it has something).
        case nothing
        /// No request will come any more: finish the running ones and return.
        case end
    }

    /// Runs requests until the source says `.end` and every started request has finished. `next(idle)` is asked
    /// for a request whenever a slot is free (`idle` is true when nothing at all is running). `onEvent` gets each
    /// request's events, on this thread; returning false cancels that request at once (its slot is freed, no
    /// further event). An error thrown by either closure stops everything and is rethrown.
    public func run<Tag>(next: (_ idle: Bool) throws -> Pull<Tag>, onEvent: (Tag, GenerationEvent) throws -> Bool) throws {
        var active: [Sequence<Tag>] = []
        var waiting: [Sequence<Tag>] = []
        var free = Array(caches.reversed())
        var ended = false

        while true {
            // Admit: first those that waited for a sharer, then new requests, while slots are free.
            var index = 0
            while index < waiting.count, !free.isEmpty {
                if mustWait(waiting[index], for: active) { index += 1; continue }
                let sequence = waiting.remove(at: index)
                start(sequence, active: active, free: &free)
                active.append(sequence)
            }
            while !ended, free.count > waiting.count {
                switch try next(active.isEmpty && waiting.isEmpty) {
                case .end: ended = true
                case .nothing: break
                case .request(let request, let tag):
                    if let problem = validate(request) {
                        _ = try onEvent(tag, .failed(problem))
                        continue
                    }
                    let sequence = Sequence(request: request, tag: tag, tokenizer: tokenizer)
                    if mustWait(sequence, for: active) {
                        waiting.append(sequence)
                    } else {
                        start(sequence, active: active, free: &free)
                        active.append(sequence)
                    }
                    continue
                }
                break
            }
            if active.isEmpty {
                if ended && waiting.isEmpty { return }
                continue
            }
            try step(&active, free: &free, onEvent: onEvent)
        }
    }

    private func validate(_ request: GenerationRequest) -> EngineError? {
        let context = model.config.contextLength
        if request.promptIDs.isEmpty { return .emptyPrompt }
        if request.promptIDs.count > context { return .promptTooLong(tokens: request.promptIDs.count, context: context) }
        if let bad = request.promptIDs.first(where: { $0 < 0 || Int($0) >= vocab }) { return .tokenOutOfRange(id: Int(bad), vocabularySize: vocab) }
        return nil
    }

    /// A request waits while a running sequence is still reading a prompt that shares a worthwhile prefix with
    /// its own beyond what that sequence has computed so far.
    private func mustWait<Tag>(_ sequence: Sequence<Tag>, for active: [Sequence<Tag>]) -> Bool {
        let prompt = sequence.request.promptIDs
        for other in active where other.isReadingPrompt {
            let shared = KVCache.commonPrefix(prompt[...], other.request.promptIDs[...])
            if shared >= Self.minimumSharedPrefix, shared > other.cache!.position { return true }
        }
        return false
    }

    /// Gives the sequence a cache: the free one holding the longest prefix of its prompt, topped up with a
    /// longer prefix copied from any other cache (running or free) when there is one. At least the prompt's
    /// last token is always computed, for its logits.
    private func start<Tag>(_ sequence: Sequence<Tag>, active: [Sequence<Tag>], free: inout [KVCache]) {
        let prompt = sequence.request.promptIDs
        let limit = prompt.count - 1
        var bestFree = free.count - 1
        var bestFreeShared = -1
        for (i, cache) in free.enumerated() {
            let shared = min(cache.sharedPrefix(with: prompt), limit)
            if shared > bestFreeShared { bestFree = i; bestFreeShared = shared }
        }
        let cache = free.remove(at: bestFree)
        cache.truncate(to: bestFreeShared)
        var donor: KVCache?
        var donorShared = bestFreeShared
        for other in active.compactMap(\.cache) + free {
            let shared = min(other.sharedPrefix(with: prompt), limit)
            if shared > donorShared { donor = other; donorShared = shared }
        }
        if let donor { cache.copyPrefix(of: donor, count: donorShared) }
        reusedPrefixTokens += cache.position
        sequence.begin(cache: cache)
    }

    /// One forward pass over every running sequence, then sampling for those that produced logits.
    private func step<Tag>(_ active: inout [Sequence<Tag>], free: inout [KVCache], onEvent: (Tag, GenerationEvent) throws -> Bool) throws {
        let began = DispatchTime.now().uptimeNanoseconds
        var segments: [ForwardPass.Segment] = []
        var sampled: [Sequence<Tag>] = []
        // Decoding sequences first: one token each.
        for sequence in active where !sequence.isReadingPrompt {
            segments.append(.init(cache: sequence.cache!, tokens: [sequence.pendingToken!][...], keep: .last, generated: true))
            sampled.append(sequence)
        }
        // Then prompt pieces, oldest request first, within the step's budget.
        var budget = prefillChunk
        for sequence in active where sequence.isReadingPrompt && budget > 0 {
            let prompt = sequence.request.promptIDs
            let from = sequence.cache!.position
            let count = min(budget, prompt.count - from)
            let completes = from + count == prompt.count
            segments.append(.init(cache: sequence.cache!, tokens: prompt[from..<(from + count)], keep: completes ? .last : .none))
            if completes { sampled.append(sequence) }
            budget -= count
        }
        let promptRead = prefillChunk - budget
        let kept = pass.run(segments)
        precondition(kept == sampled.count)
        for row in 0..<kept { pass.finalNorm(row: row) }
        if kept > 0 { pass.logits(rows: kept, into: logitRows.pointer) }

        let now = DispatchTime.now().uptimeNanoseconds
        var finished: Set<ObjectIdentifier> = []
        var outcomes: [(events: [GenerationEvent], finished: Bool)] = []
        for (row, sequence) in sampled.enumerated() {
            outcomes.append(sequence.advance(logits: logitRows.pointer + row * vocab, vocab: vocab, now: now,
                                             endOfText: endOfText, modelEndOfText: modelEndOfText, context: model.config.contextLength))
        }
        // The step's time ends before the events go out: what the caller does with them (writing outputs,
        // answering clients) is not the engine's.
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        if promptRead > 0 {
            steps.promptSteps += 1; steps.promptSeconds += seconds; steps.promptTokens += promptRead
        } else {
            steps.decodeSteps += 1; steps.decodeSeconds += seconds; steps.decodeTokens += sampled.count
        }
        for (sequence, outcome) in zip(sampled, outcomes) {
            var keepGoing = true
            for event in outcome.events where keepGoing { keepGoing = try onEvent(sequence.tag, event) }
            if outcome.finished || !keepGoing { finished.insert(ObjectIdentifier(sequence)) }
        }
        if !finished.isEmpty {
            active.removeAll { sequence in
                guard finished.contains(ObjectIdentifier(sequence)) else { return false }
                free.append(sequence.cache!)
                return true
            }
        }
    }

    /// One request in the batch: its cache once started, sampler, decoder and stop strings.
    private final class Sequence<Tag> {
        let request: GenerationRequest
        let tag: Tag
        var cache: KVCache?
        /// The token sampled last, still to run through the model.
        var pendingToken: TokenID?
        var isReadingPrompt: Bool { pendingToken == nil }

        private var sampler: Sampler
        private var decoder: StreamingDecoder
        private var stops: StopStringWatcher
        private var ids: [TokenID] = []
        private var history: [TokenID]
        private var row: [Float] = []
        private var started: UInt64 = 0
        private var firstToken: UInt64 = 0

        init(request: GenerationRequest, tag: Tag, tokenizer: FalconTokenizer) {
            self.request = request
            self.tag = tag
            sampler = Sampler(parameters: request.parameters)
            decoder = tokenizer.makeStreamingDecoder()
            stops = StopStringWatcher(stopStrings: request.parameters.stopStrings)
            history = request.promptIDs
        }

        func begin(cache: KVCache) {
            self.cache = cache
            started = DispatchTime.now().uptimeNanoseconds
        }

        /// Samples the next token from this sequence's logits; returns the events it makes and whether the
        /// sequence is done.
        func advance(logits: UnsafePointer<Float>, vocab: Int, now: UInt64, endOfText: TokenID, modelEndOfText: TokenID,
                     context: Int) -> (events: [GenerationEvent], finished: Bool) {
            if firstToken == 0 { firstToken = now }
            let parameters = request.parameters
            var events: [GenerationEvent] = []
            var text = ""
            func finish(_ reason: StopReason) -> (events: [GenerationEvent], finished: Bool) {
                if reason != .stopString { _ = stops.append(decoder.finish()) { text += $0 } }
                stops.flush { text += $0 }
                let result = GenerationResult(promptIDs: request.promptIDs, ids: ids, text: stops.text, stopReason: reason,
                                              prefillSeconds: Double(firstToken - started) / 1e9,
                                              decodeSeconds: Double(DispatchTime.now().uptimeNanoseconds - firstToken) / 1e9)
                events.append(.finished(result, finalText: text))
                return (events, true)
            }
            guard parameters.maxNewTokens > 0 else { return finish(.maxTokens) }
            row = Array(UnsafeBufferPointer(start: logits, count: vocab))
            let next = sampler.next(logits: &row, previous: history)
            if parameters.stopAtEndOfText, next == endOfText || next == modelEndOfText { return finish(.endOfText) }
            ids.append(next)
            history.append(next)
            let stopped = stops.append(decoder.append(next)) { text += $0 }
            events.append(.token(id: next, logprob: Self.logProbability(of: next, logits: logits, vocab: vocab), text: text))
            text = ""
            if stopped { return finish(.stopString) }
            if ids.count >= parameters.maxNewTokens { return finish(.maxTokens) }
            if cache!.position >= context { return finish(.context) }
            pendingToken = next
            return (events, false)
        }

        /// log softmax of the model's raw logits at `id`.
        static func logProbability(of id: TokenID, logits: UnsafePointer<Float>, vocab: Int) -> Float {
            var maximum = -Float.infinity
            for i in 0..<vocab { maximum = max(maximum, logits[i]) }
            var total: Float = 0
            for i in 0..<vocab { total += expf(logits[i] - maximum) }
            return logits[Int(id)] - maximum - logf(total)
        }
    }
}
