import Engine
import Foundation
import Hummingbird
import Tokenization

/// TGI's generation routes: `POST /generate`, `/generate_stream` and `/` (what `InferenceClient.text_generation`
/// posts to). TGI keeps a stop sequence in `generated_text`, so these routes do too.
struct TGIRoutes {
    let server: ClaireServer

    enum Shape {
        case object, list, stream
        /// `POST /`: streams when the body says `"stream": true`, else a list.
        case compat
    }

    func respond(_ request: Request, _ context: ServeContext, shape: Shape) async throws -> Response {
        do {
            let body = try await server.readBody(request, context: context)
            var tgi = try TGIRequest(body)
            var ids = server.engine.tokenizer.encode(tgi.inputs)
            if let truncate = tgi.truncate, ids.count > truncate { ids = Array(ids.suffix(truncate)) }
            try checkLength(&tgi, promptTokens: ids.count)
            try server.admission.admit(1)
            let events = server.admission.run(ServingRequest(promptIDs: ids, parameters: tgi.parameters), channel: context.channel)
            let streaming = shape == .stream || (shape == .compat && tgi.stream)
            if streaming { return stream(events, tgi, promptTokens: ids.count, context: context) }
            let object = try await collect(events, tgi, promptTokens: ids.count)
            return Responses.json(shape == .object ? object : [object])
        } catch let error as APIError {
            if error.kind != .generation { server.metrics.rejected.increment() }
            return Responses.error(error, openAI: false)
        }
    }

    /// TGI's rule: prompt tokens plus `max_new_tokens` within the context; without `max_new_tokens`, fill it.
    private func checkLength(_ tgi: inout TGIRequest, promptTokens: Int) throws {
        let context = server.engine.contextLength
        if !tgi.maxNewTokensGiven {
            guard promptTokens < context else {
                throw APIError(.validation, "`inputs` must have less than \(context) tokens. Given: \(promptTokens) (\(promptTokens - context + 1) too many)",
                               parameter: "inputs", code: "context_length_exceeded")
            }
            tgi.parameters.maxNewTokens = context - promptTokens
            return
        }
        let total = promptTokens + tgi.parameters.maxNewTokens
        guard total <= context else {
            throw APIError(.validation, "`inputs` tokens + `max_new_tokens` must be <= \(context). Given: \(promptTokens) `inputs` tokens and \(tgi.parameters.maxNewTokens) `max_new_tokens` (\(total - context) over)",
                           parameter: "max_new_tokens", code: "context_length_exceeded")
        }
    }

    static func finishReason(_ reason: StopReason) -> String {
        switch reason {
        case .endOfText: "eos_token"
        case .stopString: "stop_sequence"
        case .maxTokens, .context: "length"
        }
    }

    private func tokenObject(id: TokenID, text: String, logprob: Float?) -> [String: Any] {
        ["id": Int(id), "text": text, "logprob": logprob.map { Double($0) as Any } ?? NSNull(), "special": server.engine.tokenizer.isSpecialToken(id)]
    }

    /// TGI keeps the stop sequence; the engine cuts it.
    private func generatedText(_ result: ServingResult, _ tgi: TGIRequest) -> String {
        (tgi.returnFullText ? tgi.inputs : "") + result.text + (result.stopString ?? "")
    }

    private func collect(_ events: AsyncThrowingStream<ServingEvent, Error>, _ tgi: TGIRequest, promptTokens: Int) async throws -> [String: Any] {
        var tokens: [[String: Any]] = []
        do {
            for try await event in events {
                switch event {
                case .started: break
                case .token(let id, let text, let logprob):
                    tokens.append(tokenObject(id: id, text: text, logprob: logprob))
                case .finished(let result):
                    var object: [String: Any] = ["generated_text": generatedText(result, tgi)]
                    if tgi.details {
                        if !tokens.isEmpty {
                            tokens[tokens.count - 1]["text"] = (tokens[tokens.count - 1]["text"] as? String ?? "") + result.tail + (result.stopString ?? "")
                        }
                        object["details"] = [
                            "finish_reason": Self.finishReason(result.stopReason), "generated_tokens": result.generatedTokens.count,
                            "seed": tgi.sampling ? NSNumber(value: tgi.parameters.seed) as Any : NSNull(), "prefill": [Any](), "tokens": tokens,
                            "input_length": promptTokens,
                        ] as [String: Any]
                    }
                    return object
                }
            }
        } catch is CancellationError {
            throw APIError(.generation, "the generation was cancelled")
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.generation, "generation failed: \(error)")
        }
        throw APIError(.generation, "the generation ended without a result (the server is shutting down?)")
    }

    /// TGI's stream: one event per token, the last one carrying `generated_text` and (if asked) `details`;
    /// no `[DONE]`. One token is held back so the last event can be the last token, as in TGI.
    private func stream(_ events: AsyncThrowingStream<ServingEvent, Error>, _ tgi: TGIRequest, promptTokens: Int, context: ServeContext) -> Response {
        let routes = self
        let stall = StallGuard(channel: context.channel, timeout: .seconds(server.configuration.idleTimeoutSeconds))
        return Response(status: .ok, headers: Responses.eventStreamHeaders, body: ResponseBody { writer in
            var index = 0
            var held: (id: TokenID, text: String, logprob: Float?)?
            func event(_ token: (id: TokenID, text: String, logprob: Float?), final: [String: Any]?) -> ByteBuffer {
                index += 1
                var object: [String: Any] = ["index": index, "token": routes.tokenObject(id: token.id, text: token.text, logprob: token.logprob),
                                             "generated_text": NSNull(), "details": NSNull(), "top_tokens": NSNull()]
                if let final { object.merge(final) { $1 } }
                return Responses.event(object)
            }
            do {
                for try await item in events {
                    switch item {
                    case .started: break
                    case .token(let id, let text, let logprob):
                        if let previous = held { try await stall.write(&writer, event(previous, final: nil)) }
                        held = (id, text, logprob)
                    case .finished(let result):
                        var last: (id: TokenID, text: String, logprob: Float?)
                        if let held { last = held } else { last = (id: routes.server.engine.tokenizer.endOfTextID ?? 0, text: "", logprob: nil) }
                        last.text += result.tail + (result.stopString ?? "")
                        var final: [String: Any] = ["generated_text": routes.generatedText(result, tgi)]
                        if tgi.details {
                            final["details"] = ["finish_reason": Self.finishReason(result.stopReason), "generated_tokens": result.generatedTokens.count,
                                                "seed": tgi.sampling ? NSNumber(value: tgi.parameters.seed) as Any : NSNull(), "input_length": promptTokens] as [String: Any]
                        }
                        try await stall.write(&writer, event(last, final: final))
                        held = nil
                    }
                }
            } catch let error as APIError {
                try await stall.write(&writer, Responses.event(error.tgiBody))
            } catch is CancellationError {
                stall.finish()
                throw CancellationError()
            } catch {
                try await stall.write(&writer, Responses.event(["error": "generation failed: \(error)", "error_type": "incomplete_generation"]))
            }
            stall.finish()
            try await writer.finish(nil)
        })
    }
}
