import Engine
import Foundation
import Tokenization

/// `ServingEngine` over the single-sequence `Generator`: requests run one at a time, first come first served,
/// on one dedicated thread (the engine's matrix products use their own worker pool). A request cancelled while
/// queued leaves the queue; one cancelled while running stops at its next token.
public final class SequentialEngine: ServingEngine, @unchecked Sendable {
    public let modelID: String
    public let contextLength: Int
    public var maximumConcurrent: Int { 1 }
    public let tokenizer: FalconTokenizer

    private let generator: Generator
    private let condition = NSCondition()
    private var queue: [Job] = []  // guarded by `condition`

    private final class Job: @unchecked Sendable {
        let request: ServingRequest
        let continuation: AsyncThrowingStream<ServingEvent, Error>.Continuation
        private let lock = NSLock()
        private var _cancelled = false
        var cancelled: Bool {
            get { lock.withLock { _cancelled } }
            set { lock.withLock { _cancelled = newValue } }
        }

        init(request: ServingRequest, continuation: AsyncThrowingStream<ServingEvent, Error>.Continuation) {
            self.request = request
            self.continuation = continuation
        }
    }

    public init(model: FalconModel, modelID: String) throws {
        tokenizer = try model.opened.requireTokenizer()
        generator = Generator(model: model)
        contextLength = model.config.contextLength
        self.modelID = modelID
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "claire-serve-engine"
        thread.start()
    }

    public func generate(_ request: ServingRequest) -> AsyncThrowingStream<ServingEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ServingEvent.self)
        let job = Job(request: request, continuation: continuation)
        continuation.onTermination = { [weak self] termination in
            guard case .cancelled = termination else { return }
            job.cancelled = true
            guard let self else { return }
            self.condition.withLock { self.queue.removeAll { $0 === job } }
        }
        condition.withLock {
            queue.append(job)
            condition.signal()
        }
        return stream
    }

    private func serve() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let job = queue.removeFirst()
            condition.unlock()
            if job.cancelled { continue }
            run(job)
        }
    }

    private func run(_ job: Job) {
        job.continuation.yield(.started)
        var pending = ""
        do {
            let result = try generator.generate(
                promptIDs: job.request.promptIDs, parameters: job.request.parameters, tokenizer: tokenizer,
                onText: { pending += $0 },
                onToken: { id, logprob in
                    if job.cancelled { return false }
                    job.continuation.yield(.token(id: id, text: pending, logprob: logprob))
                    pending = ""
                    return true
                })
            var stopString: String?
            if result.stopReason == .stopString {
                // The engine cuts the text before the stop string; find which one so TGI's routes can keep it.
                let decoded = tokenizer.decode(result.ids)
                let after = decoded.hasPrefix(result.text) ? decoded.dropFirst(result.text.count) : Substring(decoded)
                stopString = job.request.parameters.stopStrings.filter { after.hasPrefix($0) }.max { $0.count < $1.count }
            }
            job.continuation.yield(.finished(ServingResult(text: result.text, generatedTokens: result.ids, stopReason: result.stopReason,
                                                          stopString: stopString, tail: pending)))
            job.continuation.finish()
        } catch {
            job.continuation.finish(throwing: error)
        }
    }
}
