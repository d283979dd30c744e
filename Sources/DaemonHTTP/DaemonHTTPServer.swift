import Foundation
import Hummingbird
import Logging
import Pipelines
import ServiceLifecycle

/// `daemon --http HOST:PORT`: `/health` (200 when the ledger answers, 503 otherwise), `/metrics`
/// (Prometheus text) and `/` (the status page), served beside the daemon in its service group.
public enum DaemonHTTPServer {
    /// The server as a service for the daemon's group. `address` is `HOST:PORT` (e.g. 127.0.0.1:9090).
    public static func service(address: String, ledger: any Ledger, pipeline: String, activity: DaemonActivity, logger: Logger) throws -> any Service {
        let (host, port) = try parse(address)
        let metrics = DaemonMetrics(pipeline: pipeline)
        let router = Router()
        router.get("/health") { _, _ -> Response in
            do {
                let snapshot = try await read(ledger: ledger, pipeline: pipeline, activity: activity)
                return text("{\"status\":\"ok\",\"queue_depth\":\(snapshot.counts.depth)}\n", type: "application/json")
            } catch {
                return text("{\"status\":\"unavailable\",\"error\":\(jsonString(ErrorText.oneLine(error)))}\n", type: "application/json",
                            status: .serviceUnavailable)
            }
        }
        router.get("/metrics") { _, _ -> Response in
            text(metrics.render(try await read(ledger: ledger, pipeline: pipeline, activity: activity)), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/") { _, _ -> Response in
            text(StatusPage.html(try await read(ledger: ledger, pipeline: pipeline, activity: activity)), type: "text/html; charset=utf-8")
        }
        var quiet = logger
        quiet.logLevel = .warning
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "claire-pipeline"), logger: quiet)
    }

    static func parse(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            throw OutputError("--http \(address): expected HOST:PORT, e.g. 127.0.0.1:9090")
        }
        let host = String(address[..<colon])
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Ledger reads block (a database round trip); they run off the concurrency pool.
    static func read(ledger: any Ledger, pipeline: String, activity: DaemonActivity) async throws -> StatusSnapshot {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try StatusSnapshot.read(ledger: ledger, pipeline: pipeline, activity: activity) })
            }
        }
    }

    static func text(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
