import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The TGI- and OpenAI-compatible HTTP server over a `ServingEngine`. `run` serves until SIGTERM or SIGINT, then
/// drains: it stops accepting connections, lets the requests in flight finish, and returns.
public final class ClaireServer: Sendable {
    public let engine: any ServingEngine
    public let configuration: ServerConfiguration
    public let metrics = ServingMetrics()
    let admission: Admission
    let startedAt = Int(Date().timeIntervalSince1970)
    let fingerprint = "claire-pipeline"
    private let logger: Logger

    public init(engine: any ServingEngine, configuration: ServerConfiguration, logger: Logger = Logger(label: "claire-pipeline.serve")) {
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
        admission = Admission(engine: engine, metrics: metrics, maxQueue: configuration.maxQueue)
    }

    /// Serves until a signal asks to stop. `onListening` gets the bound address (the port, when 0 was asked).
    public func run(onListening: @escaping @Sendable (String, Int) -> Void) async throws {
        let router = Router(context: ServeContext.self)
        router.add(middleware: AuthenticationMiddleware(apiKey: configuration.apiKey))
        let tgi = TGIRoutes(server: self), openAI = OpenAIRoutes(server: self)
        router.post("/") { request, context in try await tgi.respond(request, context, shape: .compat) }
        router.post("/generate") { request, context in try await tgi.respond(request, context, shape: .object) }
        router.post("/generate_stream") { request, context in try await tgi.respond(request, context, shape: .stream) }
        router.get("/info") { _, _ in self.info() }
        router.get("/health") { _, _ in Response(status: .ok) }
        router.post("/v1/completions") { request, context in try await openAI.completions(request, context) }
        router.get("/v1/models") { _, _ in openAI.models() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: self.metrics.render())))
        }
        let host = configuration.host
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "claire-pipeline"),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Reads a body up to the limit: 413 past it, before reading it whole when the client says its length.
    func readBody(_ request: Request, context: ServeContext) async throws -> JSONFields {
        let limit = configuration.maxBodyBytes
        let tooLarge = APIError(.tooLarge, "the request body is over the limit of \(limit) bytes")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        var request = request
        let buffer: ByteBuffer
        // A client that stops sending its body mid-way is cut off after the idle timeout.
        let stall = StallGuard(channel: context.channel, timeout: .seconds(configuration.idleTimeoutSeconds))
        defer { stall.finish() }
        do {
            buffer = try await stall.watch { try await request.collectBody(upTo: limit) }
        } catch {
            throw tooLarge
        }
        return try JSONFields.parse(Data(buffer.readableBytesView))
    }

    /// TGI's `/info`: the ten fields its clients require, with this server's values.
    func info() -> Response {
        Responses.json([
            "model_id": engine.modelID, "model_sha": NSNull(), "model_pipeline_tag": "text-generation",
            "max_concurrent_requests": engine.maximumConcurrent + configuration.maxQueue,
            "max_best_of": 1, "max_stop_sequences": TGIRequest.maxStopSequences,
            "max_input_tokens": engine.contextLength - 1, "max_total_tokens": engine.contextLength,
            "validation_workers": 1, "max_client_batch_size": 1,
            "router": "claire-pipeline", "version": "claire-pipeline",
            // Not TGI's: lets remote pipelines check they count windows with the same tokenizer.
            "tokenizer": ["family": "falcon", "vocabulary_size": engine.tokenizer.vocabularySize] as [String: Any],
        ] as [String: Any])
    }
}

/// `Authorization: Bearer KEY` on every route but `/health`, when a key is set; compared in constant time.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServeContext
    let apiKey: String?

    func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        guard let apiKey, request.uri.path != "/health" else { return try await next(request, context) }
        let given = request.headers[.authorization].map { value -> String in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : value
        }
        guard let given, Self.equal(Array(given.utf8), Array(apiKey.utf8)) else {
            let message = given == nil ? "missing API key: send `Authorization: Bearer KEY`" : "the API key is not valid"
            return Responses.error(APIError(.unauthorized, message, code: "invalid_api_key"), openAI: request.uri.path.hasPrefix("/v1/"))
        }
        return try await next(request, context)
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return difference == 0
    }
}
