/// How `serve` listens and what it admits.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (reported on stdout once listening).
    public var port = 8080
    /// When set, every route but `/health` wants `Authorization: Bearer KEY`.
    public var apiKey: String?
    /// Requests waiting for a sequence beyond those generating; more are refused with 429.
    public var maxQueue = 64
    /// Larger request bodies are refused with 413 before they are read whole.
    public var maxBodyBytes = 1 << 20
    /// A connection that sends nothing (a stalled upload, an idle keep-alive) for this long is closed.
    public var idleTimeoutSeconds = 60

    public init() {}
}
