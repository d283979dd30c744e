import Prometheus

/// The server's Prometheus metrics, named like TGI's (`tgi_…`) so its dashboards work, plus our own
/// `claire_…` names for what TGI does not export.
public final class ServingMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let requests: Counter
    let succeeded: Counter
    let failed: Counter
    let rejected: Counter
    let queueDepth: Gauge
    let activeSequences: Gauge
    let promptTokens: Counter
    let generatedTokens: Counter
    let timeToFirstToken: DurationHistogram
    let perTokenLatency: DurationHistogram
    let requestDuration: DurationHistogram

    public init() {
        requests = registry.makeCounter(name: "tgi_request_count", help: "Requests received by the generation routes.")
        succeeded = registry.makeCounter(name: "tgi_request_success", help: "Generations that completed.")
        failed = registry.makeCounter(name: "tgi_request_failure", help: "Generations that failed or were abandoned by their client.")
        rejected = registry.makeCounter(name: "claire_request_rejected", help: "Requests refused before generation (validation, queue full, body too large, key).")
        queueDepth = registry.makeGauge(name: "tgi_queue_size", help: "Requests waiting for a sequence.")
        activeSequences = registry.makeGauge(name: "tgi_batch_current_size", help: "Sequences being generated.")
        promptTokens = registry.makeCounter(name: "claire_prompt_tokens_total", help: "Prompt tokens of started generations.")
        generatedTokens = registry.makeCounter(name: "claire_generated_tokens_total", help: "Tokens generated.")
        let fine: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        timeToFirstToken = registry.makeDurationHistogram(name: "claire_time_to_first_token_seconds", buckets: fine,
                                                          help: "From the request's arrival to its first generated token, queue wait included.")
        perTokenLatency = registry.makeDurationHistogram(name: "tgi_request_mean_time_per_token_duration", buckets: fine,
                                                         help: "Mean time between generated tokens, per request.")
        requestDuration = registry.makeDurationHistogram(name: "tgi_request_duration", buckets: fine + [.seconds(120), .seconds(300)],
                                                         help: "From arrival to the last token.")
    }

    public func render() -> String { registry.emitToString() }
}
