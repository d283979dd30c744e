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
        requests = registry.makeCounter(descriptor: Self.name("tgi_request_count", "Requests received by the generation routes."))
        succeeded = registry.makeCounter(descriptor: Self.name("tgi_request_success", "Generations that completed."))
        failed = registry.makeCounter(descriptor: Self.name("tgi_request_failure", "Generations that failed or were abandoned by their client."))
        rejected = registry.makeCounter(descriptor: Self.name("claire_request_rejected", "Requests refused before generation (validation, queue full, body too large, key)."))
        queueDepth = registry.makeGauge(descriptor: Self.name("tgi_queue_size", "Requests waiting for a sequence."))
        activeSequences = registry.makeGauge(descriptor: Self.name("tgi_batch_current_size", "Sequences being generated."))
        promptTokens = registry.makeCounter(descriptor: Self.name("claire_prompt_tokens_total", "Prompt tokens of started generations."))
        generatedTokens = registry.makeCounter(descriptor: Self.name("claire_generated_tokens_total", "Tokens generated."))
        let fine: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        timeToFirstToken = registry.makeDurationHistogram(descriptor: Self.name("claire_time_to_first_token_seconds", "From the request's arrival to its first generated token, queue wait included."), buckets: fine)
        perTokenLatency = registry.makeDurationHistogram(descriptor: Self.name("tgi_request_mean_time_per_token_duration", "Mean time between generated tokens, per request."), buckets: fine)
        requestDuration = registry.makeDurationHistogram(descriptor: Self.name("tgi_request_duration", "From arrival to the last token."), buckets: fine + [.seconds(120), .seconds(300)])
    }

    public func render() -> String { registry.emitToString() }

    /// A metric's full name (no unit suffix added: the names above already say theirs) and its help text.
    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
