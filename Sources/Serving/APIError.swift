import Foundation
import Hummingbird

/// A refusal or failure, rendered in the shape of the API the client called: TGI's `{"error", "error_type"}`
/// or OpenAI's `{"error": {"message", "type", "code", "param"}}`.
public struct APIError: Error, Sendable {
    public enum Kind: String, Sendable {
        /// Bad input the client can fix.
        case validation
        /// The queue is full; retry later.
        case overloaded
        /// The engine failed.
        case generation
        /// Missing or wrong API key.
        case unauthorized
        case tooLarge
        case notFound
        case malformed
    }

    public var kind: Kind
    public var message: String
    /// OpenAI's `param`, when one field is at fault.
    public var parameter: String?
    /// OpenAI's `code`, when it has a conventional one (`context_length_exceeded`, `invalid_api_key`).
    public var code: String?
    /// Seconds a client should wait before retrying (429).
    public var retryAfter: Int?

    public init(_ kind: Kind, _ message: String, parameter: String? = nil, code: String? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.message = message
        self.parameter = parameter
        self.code = code
        self.retryAfter = retryAfter
    }

    /// TGI answers every validation problem with 422 and malformed bodies with 400 (axum's rejections).
    var tgiStatus: HTTPResponse.Status {
        switch kind {
        case .validation: .unprocessableContent
        case .malformed: .badRequest
        case .overloaded: .tooManyRequests
        case .generation: .init(code: 424, reasonPhrase: "Failed Dependency")
        case .unauthorized: .unauthorized
        case .tooLarge: .contentTooLarge
        case .notFound: .notFound
        }
    }

    /// OpenAI answers bad requests, malformed or not, with 400.
    var openAIStatus: HTTPResponse.Status {
        switch kind {
        case .validation, .malformed: .badRequest
        case .generation: .internalServerError
        default: tgiStatus
        }
    }

    var tgiType: String {
        switch kind {
        case .validation, .malformed, .tooLarge: "validation"
        case .overloaded: "overloaded"
        case .generation: "generation"
        case .unauthorized: "authentication"
        case .notFound: "not_found"
        }
    }

    var openAIType: String {
        switch kind {
        case .validation, .malformed, .tooLarge, .unauthorized, .notFound: "invalid_request_error"
        case .overloaded: "rate_limit_exceeded"
        case .generation: "server_error"
        }
    }

    var tgiBody: [String: Any] { ["error": message, "error_type": tgiType] }

    var openAIBody: [String: Any] {
        ["error": ["message": message, "type": openAIType, "param": parameter.map { $0 as Any } ?? NSNull(), "code": code.map { $0 as Any } ?? NSNull()] as [String: Any]]
    }
}
