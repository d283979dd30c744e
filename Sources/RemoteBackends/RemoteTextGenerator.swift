import AsyncHTTPClient
import Engine
import Foundation
import NIOCore
import NIOHTTP1
import Pipelines
import Tokenization

/// `TextGenerating` over a TGI or OpenAI-compatible server: up to `concurrency` requests in flight, each
/// retried with exponential backoff on connection errors, timeouts, 5xx and 429 (honouring `Retry-After`),
/// then reported as that job's failure with what the last try got.
///
/// Requests run on AsyncHTTPClient's event loops and report back through a blocking queue, so `run` keeps the
/// synchronous pull loop of `TextGenerating` without tying up Swift's cooperative threads.
public final class RemoteTextGenerator: TextGenerating {
    public let spec: RemoteModelSpec
    /// The server's model id (from `/info` or `/v1/models`), recorded as the output records' model.
    public private(set) var modelName: String
    public var concurrency: Int { spec.concurrency }
    public var remoteDescription: [String: String]? { ["backend": spec.backend.rawValue, "url": spec.url] }
    /// The server's context (prompt and generated tokens), when it says.
    public private(set) var contextLength: Int?

    private let client: HTTPClient
    private let apiKey: String?
    private let countTokens: (String) -> Int
    /// The first retry waits this long, each next one twice as long (at most `maximumBackoff`), with jitter.
    var initialBackoff = 0.5
    var maximumBackoff = 10.0

    /// `countTokens` counts prompt tokens for the records (the server's count is not in every API's answer).
    public init(spec: RemoteModelSpec, countTokens: @escaping (String) -> Int) throws {
        self.spec = spec
        self.countTokens = countTokens
        if let name = spec.apiKeyEnv {
            guard let key = ProcessInfo.processInfo.environment[name], !key.isEmpty else {
                throw RemoteBackendError("model.api_key_env names \(name), but the environment has no \(name) (or it is empty)")
            }
            apiKey = key
        } else {
            apiKey = nil
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: spec.concurrency)
        configuration.timeout = .init(connect: .seconds(10))
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        modelName = spec.url
    }

    deinit {
        try? client.syncShutdown()
    }

    // MARK: Requests

    private var headers: HTTPHeaders {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Accept", "application/json")])
        if let apiKey { headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        return headers
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// One HTTP exchange, as a future on the client's event loops.
    func send(_ method: HTTPMethod, _ path: String, json: Any?) -> EventLoopFuture<Reply> {
        do {
            let body = try json.map { HTTPClient.Body.bytes(try JSONSerialization.data(withJSONObject: $0, options: [.withoutEscapingSlashes])) }
            let request = try HTTPClient.Request(url: spec.url + path, method: method, headers: headers, body: body)
            return client.execute(request: request, deadline: .now() + .seconds(Int64(spec.timeoutSeconds))).map { response in
                Reply(status: Int(response.status.code), headers: response.headers, body: response.body.map { Data($0.readableBytesView) } ?? Data())
            }
        } catch {
            return client.eventLoopGroup.next().makeFailedFuture(error)
        }
    }

    /// Blocks for one exchange (start-up checks only).
    func sendAndWait(_ method: HTTPMethod, _ path: String, json: Any? = nil) throws -> Reply {
        try send(method, path, json: json).wait()
    }

    // MARK: TextGenerating

    public func run(next: () throws -> GenerationJob?, finished: (GenerationJob, Result<StepGeneration, Error>) throws -> Void) throws {
        let completions = CompletionQueue()
        var inFlight = 0
        var exhausted = false
        defer { completions.abandon() }
        while true {
            while !exhausted, inFlight < concurrency {
                guard let job = try next() else {
                    exhausted = true
                    break
                }
                inFlight += 1
                perform(job, attempt: 1, started: Date(), queue: completions)
            }
            if inFlight == 0 { return }
            let (job, outcome) = completions.take()
            inFlight -= 1
            try finished(job, outcome)
        }
    }

    private func perform(_ job: GenerationJob, attempt: Int, started: Date, queue: CompletionQueue) {
        guard !queue.abandoned else { return }
        let begun = Date()
        send(.POST, spec.backend == .tgi ? "/generate" : "/v1/completions", json: requestBody(job)).whenComplete { result in
            let seconds = Date().timeIntervalSince(begun)
            switch self.classify(result, job: job, seconds: seconds) {
            case .success(let generation):
                queue.put(job, .success(generation))
            case .failure(let problem, let retryAfter):
                guard problem.retryable, attempt < self.spec.attempts, !queue.abandoned else {
                    let tries = attempt == 1 ? "1 try" : "\(attempt) tries"
                    queue.put(job, .failure(RemoteBackendError("\(self.spec.backend.rawValue) server \(self.spec.url): \(problem.message) (after \(tries) in \(Int(Date().timeIntervalSince(started)))s)")))
                    return
                }
                let backoff = min(self.initialBackoff * pow(2, Double(attempt - 1)), self.maximumBackoff) * Double.random(in: 0.8...1.2)
                let delay = max(backoff, retryAfter ?? 0)
                self.client.eventLoopGroup.next().scheduleTask(in: .milliseconds(Int64(delay * 1000))) {
                    self.perform(job, attempt: attempt + 1, started: started, queue: queue)
                }
            }
        }
    }

    struct Problem {
        var message: String
        var retryable: Bool
    }

    enum Classified {
        case success(StepGeneration)
        case failure(Problem, retryAfter: Double?)
    }

    private func classify(_ result: Result<Reply, Error>, job: GenerationJob, seconds: Double) -> Classified {
        let reply: Reply
        switch result {
        case .failure(let error):
            // Connection refused or reset, timeouts: the server may be restarting.
            return .failure(Problem(message: "request failed: \(Self.describe(error))", retryable: true), retryAfter: nil)
        case .success(let value):
            reply = value
        }
        guard (200..<300).contains(reply.status) else {
            let retryable = reply.status == 429 || reply.status >= 500
            let retryAfter = reply.headers.first(name: "Retry-After").flatMap(Double.init)
            return .failure(Problem(message: "HTTP \(reply.status): \(Self.errorMessage(reply.body))", retryable: retryable), retryAfter: retryAfter)
        }
        do {
            return .success(try parse(reply.body, job: job, seconds: seconds))
        } catch {
            return .failure(Problem(message: "unexpected answer: \(error)", retryable: false), retryAfter: nil)
        }
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout { return "timed out" }
            if error == .connectTimeout { return "connection timed out" }
            if error == .remoteConnectionClosed { return "the server closed the connection" }
        }
        return "\(error)"
    }

    /// The error text of a TGI (`{"error": "…"}`) or OpenAI (`{"error": {"message": "…"}}`) answer, else the body.
    static func errorMessage(_ body: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let message = object["error"] as? String { return message }
            if let inner = object["error"] as? [String: Any], let message = inner["message"] as? String { return message }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }

    // MARK: Wire formats

    func requestBody(_ job: GenerationJob) -> [String: Any] {
        let g = job.generation
        switch spec.backend {
        case .tgi:
            // TGI refuses neutral values it treats as unset (top_p 1, top_k 0), and samples when any is set.
            var parameters: [String: Any] = ["max_new_tokens": g.maxNewTokens, "seed": NSNumber(value: job.seed), "details": true,
                                             "do_sample": !g.greedy]
            if !g.greedy {
                parameters["temperature"] = g.temperature
                if g.topK > 0 { parameters["top_k"] = g.topK }
                if g.topP < 1 { parameters["top_p"] = g.topP }
            }
            if g.repetitionPenalty != 1 { parameters["repetition_penalty"] = g.repetitionPenalty }
            if !g.stop.isEmpty { parameters["stop"] = g.stop }
            return ["inputs": job.prompt, "parameters": parameters]
        case .openai:
            var body: [String: Any] = ["model": modelName, "prompt": job.prompt, "max_tokens": g.maxNewTokens, "seed": NSNumber(value: job.seed),
                                       "temperature": g.greedy ? 0 : g.temperature, "top_p": g.topP]
            // Extensions vLLM, llama-server and `claire-pipeline serve` accept.
            if !g.greedy, g.topK > 0 { body["top_k"] = g.topK }
            if g.repetitionPenalty != 1 { body["repetition_penalty"] = g.repetitionPenalty }
            if !g.stop.isEmpty { body["stop"] = g.stop }
            return body
        }
    }

    func parse(_ body: Data, job: GenerationJob, seconds: Double) throws -> StepGeneration {
        guard let object = try? JSONSerialization.jsonObject(with: body) else { throw RemoteBackendError("not JSON: \(Self.errorMessage(body))") }
        let promptTokens = countTokens(job.prompt)
        switch spec.backend {
        case .tgi:
            // `POST /generate` answers an object; some proxies answer the compat route's one-element list.
            guard let answer = (object as? [String: Any]) ?? (object as? [[String: Any]])?.first,
                  var text = answer["generated_text"] as? String else {
                throw RemoteBackendError("no generated_text in \(Self.errorMessage(body))")
            }
            let details = answer["details"] as? [String: Any]
            let reason: StopReason
            switch details?["finish_reason"] as? String {
            case "eos_token": reason = .endOfText
            case "stop_sequence":
                reason = .stopString
                // TGI keeps the stop sequence in the text; the in-process engine's convention cuts it and what follows.
                if let cut = job.generation.stop.compactMap({ text.range(of: $0)?.lowerBound }).min() { text = String(text[..<cut]) }
            default: reason = .maxTokens
            }
            let generated = details?["generated_tokens"] as? Int ?? 0
            return StepGeneration(promptTokens: promptTokens, text: text, generatedTokens: generated, stopReason: reason,
                                  prefillSeconds: 0, decodeSeconds: seconds)
        case .openai:
            guard let answer = object as? [String: Any], let choice = (answer["choices"] as? [[String: Any]])?.first,
                  let text = choice["text"] as? String else {
                throw RemoteBackendError("no choices[0].text in \(Self.errorMessage(body))")
            }
            let reason: StopReason
            switch choice["finish_reason"] as? String {
            case "length": reason = .maxTokens
            default:
                // OpenAI says "stop" for both; vLLM's `stop_reason` names the stop string when one matched.
                if choice["stop_reason"] is String { reason = .stopString }
                else if choice.keys.contains("stop_reason") || job.generation.stop.isEmpty { reason = .endOfText }
                else { reason = .stopString }
            }
            let usage = answer["usage"] as? [String: Any]
            return StepGeneration(promptTokens: usage?["prompt_tokens"] as? Int ?? promptTokens, text: text,
                                  generatedTokens: usage?["completion_tokens"] as? Int ?? 0, stopReason: reason,
                                  prefillSeconds: 0, decodeSeconds: seconds)
        }
    }

    // MARK: Start-up check

    /// Asks the server which model it serves and refuses one whose tokenizer is not Falcon's (windows would be
    /// cut with the wrong counts). Retries while the server is still starting, up to the configured attempts.
    public func checkServer(localVocabularySize: Int) throws {
        var lastError: Error?
        for attempt in 1...max(spec.attempts, 1) {
            do {
                try identifyModel(localVocabularySize: localVocabularySize)
                return
            } catch let error as RemoteBackendError where !error.retryable {
                throw error
            } catch {
                lastError = error
                if attempt < spec.attempts { Thread.sleep(forTimeInterval: min(initialBackoff * pow(2, Double(attempt - 1)), maximumBackoff)) }
            }
        }
        throw RemoteBackendError("\(spec.backend.rawValue) server \(spec.url) did not answer \(spec.backend == .tgi ? "/info" : "/v1/models") after \(spec.attempts) tries: \(lastError.map(Self.describe) ?? "")")
    }

    private func identifyModel(localVocabularySize: Int) throws {
        let path = spec.backend == .tgi ? "/info" : "/v1/models"
        let reply = try sendAndWait(.GET, path)
        guard reply.status == 200 else {
            let error = RemoteBackendError("\(spec.url)\(path) answered HTTP \(reply.status): \(Self.errorMessage(reply.body))")
            if reply.status >= 500 || reply.status == 429 { throw error }
            throw error.final
        }
        guard let object = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any] else {
            throw RemoteBackendError("\(spec.url)\(path) did not answer a JSON object: \(Self.errorMessage(reply.body))").final
        }
        let model: [String: Any]
        if spec.backend == .tgi {
            model = object
        } else {
            guard let first = (object["data"] as? [[String: Any]])?.first else {
                throw RemoteBackendError("\(spec.url)/v1/models lists no model").final
            }
            model = first
        }
        let id = (model["model_id"] ?? model["id"]) as? String ?? "unknown"
        modelName = id
        contextLength = (model["max_total_tokens"] ?? model["max_model_len"]) as? Int
        guard spec.checkTokenizer else { return }
        // `claire-pipeline serve` says which tokenizer it has; other servers are judged by the model's name.
        let tokenizer = (model["tokenizer"] as? [String: Any]) ?? ((model["meta"] as? [String: Any])?["tokenizer"] as? String).map { ["family": $0] as [String: Any] }
        if let family = tokenizer?["family"] as? String {
            guard family == "falcon" else {
                throw RemoteBackendError("\(spec.url) serves \(id) with a \(family) tokenizer, not Falcon's: windows counted with Falcon's tokenizer would be cut wrongly").final
            }
            if let size = tokenizer?["vocabulary_size"] as? Int, size != localVocabularySize {
                throw RemoteBackendError("\(spec.url) serves \(id) with a vocabulary of \(size) tokens, but the local Falcon tokenizer has \(localVocabularySize): not the same tokenizer, so windows would be cut wrongly").final
            }
            return
        }
        let lowered = id.lowercased()
        guard lowered.contains("falcon") || lowered.contains("claire") else {
            throw RemoteBackendError("\(spec.url) serves '\(id)', which is not a Falcon or Claire model: its tokenizer is not Falcon's, so windows would be cut wrongly. If it is a Falcon fine-tune under another name, set model.check_tokenizer: false").final
        }
    }
}

public struct RemoteBackendError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    var retryable = true

    init(_ description: String) { self.description = description }

    var final: RemoteBackendError {
        var copy = self
        copy.retryable = false
        return copy
    }

    public var errorDescription: String? { description }
}

/// Finished jobs, handed from the event loops to the thread running `run`.
final class CompletionQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(GenerationJob, Result<StepGeneration, Error>)] = []
    private var _abandoned = false

    var abandoned: Bool { condition.withLock { _abandoned } }

    func put(_ job: GenerationJob, _ outcome: Result<StepGeneration, Error>) {
        condition.withLock {
            items.append((job, outcome))
            condition.signal()
        }
    }

    func take() -> (GenerationJob, Result<StepGeneration, Error>) {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        return items.removeFirst()
    }

    /// No more retries once `run` has returned or thrown.
    func abandon() { condition.withLock { _abandoned = true } }
}
