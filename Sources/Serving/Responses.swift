import Foundation
import Hummingbird

/// JSON and server-sent-event bodies.
enum Responses {
    static func json(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encode(object))))
    }

    static func encode(_ object: Any) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        return [UInt8](data)
    }

    /// One SSE event: `data: JSON` and a blank line.
    static func event(_ object: Any) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(encode(object))
        buffer.writeString("\n\n")
        return buffer
    }

    static func error(_ error: APIError, openAI: Bool) -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if error.kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return json(openAI ? error.openAIBody : error.tgiBody, status: openAI ? error.openAIStatus : error.tgiStatus, headers: headers)
    }

    static let eventStreamHeaders: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
}
