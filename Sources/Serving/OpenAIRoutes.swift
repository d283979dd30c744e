import Engine
import Foundation
import Hummingbird
import NIOCore
import Tokenization

/// OpenAI's `POST /v1/completions` and `GET /v1/models`. OpenAI leaves the stop sequence out of the text, as
/// the engine does. Several prompts, or `n` > 1, become that many sequences; choice `i` of a prompt uses
/// `seed + i`, so choice 0 is the text a single request with that seed gives.
struct OpenAIRoutes {
    let server: ClaireServer

    func models() -> Response {
        Responses.json(["object": "list", "data": [[
            "id": server.engine.modelID, "object": "model", "created": server.startedAt, "owned_by": "claire-pipeline",
            "max_model_len": server.engine.contextLength,
            "meta": ["tokenizer": "falcon", "vocabulary_size": server.engine.tokenizer.vocabularySize],
        ] as [String: Any]]])
    }

    private struct Choice {
        var index: Int
        var promptText: String
        var request: ServingRequest
    }

    static func finishReason(_ reason: StopReason) -> String {
        switch reason {
        case .endOfText, .stopString: "stop"
        case .maxTokens, .context: "length"
        }
    }

    func completions(_ request: Request, _ context: ServeContext) async throws -> Response {
        do {
            let body = try await server.readBody(request, context: context)
            let openAI = try OpenAIRequest(body, vocabularySize: server.engine.tokenizer.vocabularySize)
            let tokenizer = server.engine.tokenizer
            var choices: [Choice] = []
            for prompt in openAI.prompts {
                let (ids, text): ([TokenID], String)
                switch prompt {
                case .text(let value): (ids, text) = (tokenizer.encode(value), value)
                case .tokens(let value): (ids, text) = (value, tokenizer.decode(value))
                }
                try checkLength(promptTokens: ids.count, maxTokens: openAI.parameters.maxNewTokens)
                for sample in 0..<openAI.choicesPerPrompt {
                    var parameters = openAI.parameters
                    parameters.seed = openAI.parameters.seed &+ UInt64(sample)
                    choices.append(Choice(index: choices.count, promptText: text, request: ServingRequest(promptIDs: ids, parameters: parameters)))
                }
            }
            try server.admission.admit(choices.count)
            let merged = merge(choices, channel: context.channel)
            let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let created = Int(Date().timeIntervalSince1970)
            let promptTokens = choices.reduce(0) { $0 + $1.request.promptIDs.count }
            if openAI.stream { return stream(merged, choices, openAI, id: id, created: created, promptTokens: promptTokens, context: context) }
            return try await collect(merged, choices, openAI, id: id, created: created, promptTokens: promptTokens)
        } catch let error as APIError {
            if error.kind != .generation { server.metrics.rejected.increment() }
            return Responses.error(error, openAI: true)
        }
    }

    private func checkLength(promptTokens: Int, maxTokens: Int) throws {
        let context = server.engine.contextLength
        let total = promptTokens + maxTokens
        guard total <= context else {
            throw APIError(.validation, "This model's maximum context length is \(context) tokens, however you requested \(total) tokens (\(promptTokens) in your prompt; \(maxTokens) for the completion), \(total - context) too many. Please reduce your prompt or completion length.",
                           parameter: "max_tokens", code: "context_length_exceeded")
        }
    }

    /// Every choice's events on one stream, tagged with the choice's index.
    private func merge(_ choices: [Choice], channel: (any Channel)?) -> AsyncThrowingStream<(Int, ServingEvent), Error> {
        let (merged, continuation) = AsyncThrowingStream.makeStream(of: (Int, ServingEvent).self)
        let admission = server.admission
        let task = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for choice in choices {
                        let events = admission.run(choice.request, channel: channel)
                        group.addTask {
                            for try await event in events { continuation.yield((choice.index, event)) }
                        }
                    }
                    try await group.waitForAll()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return merged
    }

    private func usage(_ promptTokens: Int, _ completionTokens: Int) -> [String: Any] {
        ["prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens]
    }

    private func describe(_ error: Error) -> APIError {
        if let error = error as? APIError { return error }
        if error is CancellationError { return APIError(.generation, "the generation was cancelled") }
        return APIError(.generation, "generation failed: \(error)")
    }

    private func collect(_ merged: AsyncThrowingStream<(Int, ServingEvent), Error>, _ choices: [Choice], _ openAI: OpenAIRequest,
                         id: String, created: Int, promptTokens: Int) async throws -> Response {
        var results = [ServingResult?](repeating: nil, count: choices.count)
        do {
            for try await (index, event) in merged {
                if case .finished(let result) = event { results[index] = result }
            }
        } catch {
            throw describe(error)
        }
        var objects: [[String: Any]] = []
        var completionTokens = 0
        for choice in choices {
            guard let result = results[choice.index] else { throw APIError(.generation, "a generation ended without a result (the server is shutting down?)") }
            completionTokens += result.generatedTokens.count
            // vLLM's `stop_reason`: the stop string that ended the text, null for the end-of-text token or a length stop.
            objects.append(["index": choice.index, "text": (openAI.echo ? choice.promptText : "") + result.text, "logprobs": NSNull(),
                            "finish_reason": Self.finishReason(result.stopReason),
                            "stop_reason": result.stopString.map { $0 as Any } ?? NSNull()])
        }
        return Responses.json(["id": id, "object": "text_completion", "created": created, "model": server.engine.modelID,
                               "system_fingerprint": server.fingerprint, "choices": objects,
                               "usage": usage(promptTokens, completionTokens)])
    }

    private func stream(_ merged: AsyncThrowingStream<(Int, ServingEvent), Error>, _ choices: [Choice], _ openAI: OpenAIRequest,
                        id: String, created: Int, promptTokens: Int, context: ServeContext) -> Response {
        let model = server.engine.modelID, fingerprint = server.fingerprint
        let stall = StallGuard(channel: context.channel, timeout: .seconds(server.configuration.idleTimeoutSeconds))
        let routes = self
        return Response(status: .ok, headers: Responses.eventStreamHeaders, body: ResponseBody { writer in
            func chunk(_ index: Int, _ text: String, finish: String?) -> ByteBuffer {
                var object: [String: Any] = ["id": id, "object": "text_completion", "created": created, "model": model,
                                             "system_fingerprint": fingerprint,
                                             "choices": [["index": index, "text": text, "logprobs": NSNull(), "finish_reason": finish.map { $0 as Any } ?? NSNull()] as [String: Any]]]
                if openAI.includeUsageInStream { object["usage"] = NSNull() }
                return Responses.event(object)
            }
            var completionTokens = 0
            do {
                for try await (index, event) in merged {
                    switch event {
                    case .started:
                        if openAI.echo { try await stall.write(&writer, chunk(index, choices[index].promptText, finish: nil)) }
                    case .token(_, let text, _):
                        if !text.isEmpty { try await stall.write(&writer, chunk(index, text, finish: nil)) }
                    case .finished(let result):
                        completionTokens += result.generatedTokens.count
                        try await stall.write(&writer, chunk(index, result.tail, finish: Self.finishReason(result.stopReason)))
                    }
                }
                if openAI.includeUsageInStream {
                    try await stall.write(&writer, Responses.event(["id": id, "object": "text_completion", "created": created, "model": model,
                                                            "choices": [Any](), "usage": routes.usage(promptTokens, completionTokens)]))
                }
            } catch is CancellationError {
                stall.finish()
                throw CancellationError()
            } catch {
                try await stall.write(&writer, Responses.event(routes.describe(error).openAIBody))
            }
            try await stall.write(&writer, ByteBuffer(string: "data: [DONE]\n\n"))
            stall.finish()
            try await writer.finish(nil)
        })
    }
}
