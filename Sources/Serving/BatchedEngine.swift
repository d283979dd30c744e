import Engine
import Foundation
import Tokenization

/// `ServingEngine` over the batched engine: concurrent requests are sequences of one `BatchGenerator`, which
/// runs on its own thread; a request joins the batch as soon as a sequence is free. A request cancelled while
/// queued leaves the queue; one cancelled while running frees its sequence at its next token.
public final class BatchedEngine: ServingEngine, @unchecked Sendable {
    public let modelID: String
    public let contextLength: Int
    public let maximumConcurrent: Int
    public let tokenizer: FalconTokenizer

    private let generator: BatchGenerator
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

    public init(model: FalconModel, modelID: String, maximumSequences: Int) throws {
        tokenizer = try model.opened.requireTokenizer()
        generator = BatchGenerator(model: model, tokenizer: tokenizer, maximumSequences: maximumSequences)
        maximumConcurrent = generator.maximumSequences
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

    /// The engine's thread: the batch runs for the life of the server, taking queued requests whenever a
    /// sequence is free and sleeping when there is nothing at all to do.
    private func serve() {
        try? generator.run(next: { idle -> BatchGenerator.Pull<Job> in
            condition.lock()
            defer { condition.unlock() }
            while true {
                if idle { while queue.isEmpty { condition.wait() } }
                guard !queue.isEmpty else { return .nothing }
                let job = queue.removeFirst()
                if job.cancelled { continue }
                job.continuation.yield(.started)
                return .request(GenerationRequest(promptIDs: job.request.promptIDs, parameters: job.request.parameters), job)
            }
        }, onEvent: { job, event in
            if job.cancelled {
                job.continuation.finish(throwing: CancellationError())
                return false
            }
            switch event {
            case .token(let id, let logprob, let text):
                job.continuation.yield(.token(id: id, text: text, logprob: logprob))
            case .finished(let result, let finalText):
                var stopString: String?
                if result.stopReason == .stopString {
                    // The engine cuts the text before the stop string; find which one so TGI's routes can keep it.
                    let decoded = tokenizer.decode(result.ids)
                    let after = decoded.hasPrefix(result.text) ? decoded.dropFirst(result.text.count) : Substring(decoded)
                    stopString = job.request.parameters.stopStrings.filter { after.hasPrefix($0) }.max { $0.count < $1.count }
                }
                job.continuation.yield(.finished(ServingResult(text: result.text, generatedTokens: result.ids, stopReason: result.stopReason,
                                                              stopString: stopString, tail: finalText)))
                job.continuation.finish()
            case .failed(let error):
                job.continuation.finish(throwing: error)
            }
            return true
        })
    }
}
