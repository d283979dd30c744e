import ArgumentParser
import Engine
import Foundation
import Logging
import Serving

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over HTTP with Text Generation Inference's and OpenAI's completion APIs.",
        discussion: """
            TGI: POST /generate, /generate_stream, / (huggingface_hub's InferenceClient), GET /info, /health. \
            OpenAI: POST /v1/completions, GET /v1/models. Prometheus metrics: GET /metrics. Requests beyond the \
            engine's sequences wait in a queue of --max-queue; more are refused with 429 and Retry-After. \
            SIGTERM or SIGINT drains: no new connections, requests in flight finish, then exit 0. Prints \
            `listening on http://HOST:PORT` on stdout once ready (useful with --port 0).
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port (0: any free port).")
    var port = 8080

    @Option(help: ArgumentHelp("Sequences generated at once (concurrent requests share the batch; the others queue).",
                               discussion: "Default: \(BatchSizing.defaultDescription). A request's text does not depend on it."))
    var batch: Int?

    @Option(help: "A file holding the API key clients must send as `Authorization: Bearer KEY` (every route but /health).")
    var apiKeyFile: String?

    @Option(help: "Requests that may wait for a sequence; more get 429.")
    var maxQueue = 64

    @Option(help: "The largest request body accepted, in bytes; larger ones get 413.")
    var maxBodyBytes = 1 << 20

    @Option(help: "Seconds a connection may stay silent (stalled upload, idle keep-alive) before it is closed.")
    var idleTimeout = 60

    @Option(help: "The model's name in /info, /v1/models and responses (default: the model file's name).")
    var modelID: String?

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535") }
        if let batch, !(1...256).contains(batch) { throw ValidationError("--batch must be between 1 and 256") }
        if maxQueue < 0 { throw ValidationError("--max-queue must be 0 or more") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
        if idleTimeout < 1 { throw ValidationError("--idle-timeout must be at least 1 second") }
    }

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxQueue = maxQueue
        configuration.maxBodyBytes = maxBodyBytes
        configuration.idleTimeoutSeconds = idleTimeout
        if let apiKeyFile {
            let key = try String(contentsOfFile: apiKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw CLIError("\(apiKeyFile): the API key file is empty") }
            configuration.apiKey = key
        }
        let model = try modelOptions.load()
        let name = modelID ?? URL(fileURLWithPath: modelOptions.model).deletingPathExtension().lastPathComponent
        let sequences = batch ?? BatchSizing.defaultSequences(for: model.config, modelBytes: model.opened.totalBytes)
        try BatchSizing.check(sequences: sequences, config: model.config, modelBytes: model.opened.totalBytes, modelName: modelOptions.model)
        let engine = try BatchedEngine(model: model, modelID: name, maximumSequences: sequences)
        var logger = Logger(label: "claire-pipeline.serve")
        logger.logLevel = .notice
        let server = ClaireServer(engine: engine, configuration: configuration, logger: logger)
        try await server.run { host, port in
            Console.out("listening on http://\(host):\(port)\n")
            Console.flush()
        }
    }
}
