import Foundation
import Testing
import TestSupport

/// `serve` driven by the real Python clients its users have: huggingface_hub's InferenceClient (TGI's API)
/// and openai's completions. One server for the suite's client tests keeps them fast.
@Suite(.serialized) struct ClientTests {
    static let prompt = "- Bonjour Camille, comment vas-tu ?\n- "

    @Test func textGenerationPlainDetailsAndStreamAgree() throws {
        guard let python = PythonClients.python else { print(PythonClients.skipMessage); return }
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try PythonClients.run("tgi_client.py", ["--url", server.url, "--prompt", Self.prompt, "--max-new-tokens", "8", "--seed", "42"], python: python)
        let plain = try #require(result["plain"] as? String)
        let details = try #require(result["details"] as? [String: Any])
        let streamed = try #require(result["stream_details"] as? [String: Any])
        // The same seed gives the same text whichever way it is asked for.
        #expect(details["generated_text"] as? String == plain)
        #expect(result["stream_text"] as? String == plain)
        #expect(streamed["generated_text"] as? String == plain)
        #expect(details["seed"] as? Int == 42)
        let tokens = try #require(details["tokens"] as? [[String: Any]])
        #expect(tokens.count == details["generated_tokens"] as? Int)
        #expect(["length", "eos_token", "stop_sequence"].contains(details["finish_reason"] as? String ?? ""))
        // Token texts put together are the generated text; log-probabilities are real (negative, finite).
        #expect(tokens.map { $0["text"] as? String ?? "" }.joined() == plain)
        for token in tokens {
            let logprob = try #require(token["logprob"] as? Double)
            #expect(logprob <= 0 && logprob > -100)
        }
        #expect(streamed["nulls_before_last"] as? Bool == true)
        #expect(streamed["finish_reason"] as? String == details["finish_reason"] as? String)
        // A stream's events are the tokens, with the same ids and log-probabilities as details.
        let streamTokens = try #require(streamed["tokens"] as? [[String: Any]])
        #expect(streamTokens.map { $0["id"] as? Int } == tokens.map { $0["id"] as? Int })
        // Greedy (TGI's default without do_sample) reports no seed.
        let greedy = try #require(result["greedy"] as? [String: Any])
        #expect(greedy["seed"] is NSNull || greedy["seed"] == nil)
        #expect(server.stop() == 0, "SIGTERM drains and exits 0: \(server.stderr)")
    }

    /// Same seed, same text: the server's sampled text equals `generate --seed` on the same prompt and settings.
    @Test func seededRequestMatchesGenerateCommand() throws {
        let binary = try #require(Executables.clairePipeline)
        let generated = try Executables.run(binary, ["generate", "--model", ServerProcess.model.path, "--threads", "2", "--prompt=\(Self.prompt)",
                                                     "--seed", "7", "--max-new-tokens", "12", "--temperature", "0.8", "--top-k", "10", "--json"])
        #expect(generated.status == 0, "\(generated.stderr)")
        let expected = try #require(HTTP.json(generated.stdout)?["text"] as? String)
        let server = try ServerProcess()
        defer { server.stop() }
        let tgi = try HTTP.request(server.url + "/generate", method: "POST", json: [
            "inputs": Self.prompt, "parameters": ["max_new_tokens": 12, "do_sample": true, "temperature": 0.8, "top_k": 10, "seed": 7],
        ])
        #expect(tgi.status == 200)
        #expect(HTTP.json(tgi.body)?["generated_text"] as? String == expected)
        let openAI = try HTTP.request(server.url + "/v1/completions", method: "POST", json: [
            "model": "x", "prompt": Self.prompt, "max_tokens": 12, "temperature": 0.8, "top_k": 10, "seed": 7,
        ])
        #expect(openAI.status == 200)
        let choices = HTTP.json(openAI.body)?["choices"] as? [[String: Any]]
        #expect(choices?.first?["text"] as? String == expected)
    }

    @Test func completionsPlainAndStreamAgree() throws {
        guard let python = PythonClients.python else { print(PythonClients.skipMessage); return }
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try PythonClients.run("openai_client.py", ["--url", server.url, "--prompt", Self.prompt, "--max-tokens", "8", "--seed", "42"], python: python)
        #expect(result["model"] as? String == "claire-tiny-fr.Q8_0")
        let plain = try #require(result["plain"] as? [String: Any])
        let stream = try #require(result["stream"] as? [String: Any])
        let text = try #require(plain["text"] as? String)
        #expect(plain["object"] as? String == "text_completion")
        #expect(stream["text"] as? String == text)
        #expect(["stop", "length"].contains(plain["finish_reason"] as? String ?? ""))
        #expect(stream["finish_reason"] as? String == plain["finish_reason"] as? String)
        let usage = try #require(plain["usage"] as? [String: Any])
        #expect((usage["prompt_tokens"] as? Int ?? 0) > 0)
        #expect((usage["completion_tokens"] as? Int ?? 0) <= 8 && (usage["completion_tokens"] as? Int ?? 0) > 0)
        // n = 2: choice 0 uses the request's seed, so it is the single request's text.
        let two = try #require(result["n2"] as? [[Any]])
        #expect(two.count == 2 && two[0][1] as? String == text)
        // The TGI route with the same seed and sampling gives the same text.
        let tgi = try HTTP.request(server.url + "/generate", method: "POST", json: [
            "inputs": Self.prompt, "parameters": ["max_new_tokens": 8, "temperature": 1.0, "top_k": 10, "seed": 42],
        ])
        #expect(HTTP.json(tgi.body)?["generated_text"] as? String == text)
    }

    @Test func badInputGetsEachAPIsErrorShapeAndStatus() throws {
        guard let python = PythonClients.python else { print(PythonClients.skipMessage); return }
        let server = try ServerProcess()
        defer { server.stop() }
        let cases = try PythonClients.run("errors.py", ["--url", server.url, "--context", "2048"], python: python)
        func check(_ name: String, status: Int, contains text: String, openAI: Bool = false) {
            guard let answer = cases[name] as? [String: Any] else {
                Issue.record("no case \(name)")
                return
            }
            #expect(answer["status"] as? Int == status, "\(name): \(answer)")
            let body = answer["body"] as? [String: Any]
            let message: String?
            if openAI {
                let error = body?["error"] as? [String: Any]
                message = error?["message"] as? String
                #expect(error?["type"] as? String != nil, "\(name): OpenAI's error shape")
            } else {
                message = body?["error"] as? String
                #expect(body?["error_type"] as? String != nil, "\(name): TGI's error shape")
            }
            #expect(message?.contains(text) == true, "\(name): \(message ?? "no message")")
        }
        check("tgi_malformed", status: 400, contains: "not valid JSON")
        check("tgi_wrong_type", status: 422, contains: "`parameters.max_new_tokens` must be an integer")
        check("tgi_bad_temperature", status: 422, contains: "`temperature` must be strictly positive")
        check("tgi_bad_top_p", status: 422, contains: "`top_p` must be > 0.0 and < 1.0")
        check("tgi_too_many_stops", status: 422, contains: "up to 4 stop sequences")
        check("tgi_empty_inputs", status: 422, contains: "`inputs` cannot be empty")
        check("tgi_prompt_too_long", status: 422, contains: "must be <= 2048")
        check("tgi_prompt_too_long", status: 422, contains: "over)")
        check("tgi_max_new_tokens_too_many", status: 422, contains: "2048 `max_new_tokens` (")
        check("tgi_body_too_large", status: 413, contains: "over the limit of 1048576 bytes")
        check("openai_malformed", status: 400, contains: "not valid JSON", openAI: true)
        check("openai_wrong_type", status: 400, contains: "`prompt` must be", openAI: true)
        check("openai_prompt_too_long", status: 400, contains: "maximum context length is 2048 tokens", openAI: true)
        check("openai_suffix", status: 400, contains: "`suffix`", openAI: true)
        let hf = cases["hf_client_validation"] as? [String: Any]
        #expect(hf?["raised"] as? String == "ValidationError", "\(hf ?? [:])")
        let openAI = cases["openai_client_validation"] as? [String: Any]
        #expect(openAI?["raised"] as? String == "BadRequestError" && openAI?["code"] as? String == "context_length_exceeded", "\(openAI ?? [:])")
        // The server still serves after all that.
        #expect(try HTTP.request(server.url + "/health").status == 200)
    }

    @Test func apiKeyAndQueueLimit() throws {
        guard let python = PythonClients.python else { print(PythonClients.skipMessage); return }
        let directory = try TemporaryFiles.makeDirectory(prefix: "serve-key")
        defer { TemporaryFiles.remove(directory) }
        let keyFile = directory.appendingPathComponent("key")
        try "s3cret\n".write(to: keyFile, atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--api-key-file", keyFile.path, "--max-queue", "2", "--batch", "1"])
        defer { server.stop() }
        let result = try PythonClients.run("auth_and_queue.py", ["--url", server.url, "--key", "s3cret", "--parallel", "8"], python: python)
        #expect(result["health_without_key"] as? Int == 200)
        for name in ["generate_without_key", "generate_wrong_key", "openai_wrong_key"] {
            #expect((result[name] as? [String: Any])?["status"] as? Int == 401, "\(name)")
        }
        #expect(((result["openai_wrong_key"] as? [String: Any])?["body"] as? String)?.contains("invalid_api_key") == true)
        #expect(result["generate_with_key"] as? Int == 200)
        #expect(result["openai_client_auth"] as? String == "AuthenticationError")
        // 8 at once against 1 sequence + 2 queued: some refused with 429 and a Retry-After, every one answered.
        let burst = try #require(result["burst"] as? [String: Any])
        let ok = burst["ok"] as? Int ?? 0, refused = burst["refused"] as? Int ?? 0
        #expect(ok + refused == 8 && (burst["other"] as? [Any])?.isEmpty == true, "\(burst)")
        #expect(ok >= 3 && refused >= 1, "\(burst)")
        #expect((burst["retry_after"] as? [String])?.allSatisfy { Int($0) ?? 0 >= 1 } == true, "\(burst)")
    }

    @Test func clientDisconnectFreesTheSequence() throws {
        guard let python = PythonClients.python else { print(PythonClients.skipMessage); return }
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try PythonClients.run("disconnect.py", ["--url", server.url, "--new-tokens", "1500"], python: python)
        #expect(result["events_read"] as? Int == 2)
        #expect((result["failures_after"] as? Double ?? 0) > (result["failures_before"] as? Double ?? 0), "\(result)")
        // 1500 tokens would take far longer than this on the tiny model; the freed engine answers the next at once.
        #expect((result["freed_after_s"] as? Double ?? 99) < 5, "\(result)")
        #expect(result["active"] as? Double == 0 && result["queued"] as? Double == 0, "\(result)")
        // The abandoned generation stopped early: far fewer than its 1500 tokens (plus the 2 of the next request).
        #expect((result["generated_tokens"] as? Double ?? 9999) < 1000, "\(result)")
    }

    /// A client that stops sending its body is cut off after the idle timeout instead of holding the server.
    @Test func stuckUploadTimesOut() throws {
        let python = PythonClients.python ?? "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { print("no python3 for slow_client.py; skipped"); return }
        let server = try ServerProcess(["--idle-timeout", "2"])
        defer { server.stop() }
        let result = try PythonClients.run("slow_client.py", ["--url", server.url, "--wait", "30"], python: python)
        let closed = try #require(result["closed_after_s"] as? Double, "the server kept a stuck upload open: \(result)")
        #expect(closed >= 1.5 && closed < 10, "\(result)")
        #expect(try HTTP.request(server.url + "/health").status == 200)
    }

    @Test func infoModelsHealthAndMetrics() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let info = try #require(HTTP.json(try HTTP.request(server.url + "/info").body))
        for field in ["model_id", "max_concurrent_requests", "max_best_of", "max_stop_sequences", "max_input_tokens", "max_total_tokens",
                      "validation_workers", "max_client_batch_size", "router", "version"] {
            #expect(info[field] != nil, "/info lacks \(field)")
        }
        #expect(info["max_total_tokens"] as? Int == 2048)
        let models = try #require(HTTP.json(try HTTP.request(server.url + "/v1/models").body))
        #expect(((models["data"] as? [[String: Any]])?.first?["id"] as? String) == "claire-tiny-fr.Q8_0")
        #expect(try HTTP.request(server.url + "/health").status == 200)
        _ = try HTTP.request(server.url + "/generate", method: "POST", json: ["inputs": "- Bonjour", "parameters": ["max_new_tokens": 3]])
        let metrics = String(decoding: try HTTP.request(server.url + "/metrics").body, as: UTF8.self)
        for name in ["tgi_request_count 1", "tgi_request_success 1", "tgi_queue_size 0.0", "tgi_batch_current_size 0.0",
                     "claire_time_to_first_token_seconds_count 1", "tgi_request_mean_time_per_token_duration_count 1"] {
            #expect(metrics.contains(name), "/metrics lacks \(name)")
        }
        #expect(metrics.contains("claire_generated_tokens_total 3") || metrics.contains("claire_generated_tokens_total 2") || metrics.contains("claire_generated_tokens_total 1"))
    }

    /// 32 clients for a fixed number of requests: every one answered, none lost, the server's memory flat.
    @Test func boundedLoad() throws {
        let python = PythonClients.python ?? "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { print("no python3 for load.py; skipped"); return }
        let server = try ServerProcess(["--max-queue", "64"])
        defer { server.stop() }
        func load(_ requests: Int) throws -> [String: Any] {
            try PythonClients.run("load.py", ["--url", server.url, "--clients", "32", "--requests", String(requests), "--prompt-tokens", "24",
                                              "--new-tokens", "4", "--api", "tgi"], python: python)
        }
        let warm = try load(32)
        #expect(warm["answered"] as? Int == 32, "\(warm)")
        let before = try #require(server.residentKiB)
        for _ in 0..<2 {
            let round = try load(64)
            #expect(round["answered"] as? Int == 64 && round["failed"] as? Int == 0, "\(round)")
        }
        let after = try #require(server.residentKiB)
        // Growth under 16 MiB over 128 requests: nothing per request is kept.
        #expect(after - before < 16 * 1024, "RSS grew from \(before) KiB to \(after) KiB")
        let metrics = String(decoding: try HTTP.request(server.url + "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("tgi_request_success 160"), "every request counted once")
    }
}
