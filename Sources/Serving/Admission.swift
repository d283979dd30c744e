import Engine
import Foundation
import NIOCore

/// Admits requests up to the engine's sequences plus the queue limit, runs each through the engine while
/// keeping the metrics, and ends a generation when its connection closes.
final class Admission: @unchecked Sendable {
    let engine: any ServingEngine
    let metrics: ServingMetrics
    let maxQueue: Int
    private let lock = NSLock()
    private var admitted = 0  // guarded by `lock`
    /// Recent seconds per request (moving average), to tell refused clients when to come back.
    private var averageSeconds = 1.0  // guarded by `lock`

    init(engine: any ServingEngine, metrics: ServingMetrics, maxQueue: Int) {
        self.engine = engine
        self.metrics = metrics
        self.maxQueue = maxQueue
    }

    /// Takes `count` places (one per sequence) or refuses with 429 and a `Retry-After` estimate.
    func admit(_ count: Int) throws {
        try lock.withLock {
            let limit = engine.maximumConcurrent + maxQueue
            guard admitted + count <= limit else {
                let waiting = max(admitted - engine.maximumConcurrent + count, 1)
                let seconds = Int((averageSeconds * Double(waiting) / Double(engine.maximumConcurrent)).rounded(.up))
                throw APIError(.overloaded, "the server is busy: \(admitted) requests are queued or running (limit \(limit)); retry later",
                               code: "rate_limit_exceeded", retryAfter: max(seconds, 1))
            }
            admitted += count
            metrics.queueDepth.increment(by: Double(count))
        }
    }

    private func release(seconds: Double?) {
        lock.withLock {
            admitted -= 1
            if let seconds { averageSeconds = 0.8 * averageSeconds + 0.2 * seconds }
        }
    }

    /// Runs one admitted request. The returned stream carries the engine's events; the generation is
    /// abandoned (its sequence freed) when the stream is dropped, its consumer cancelled, or `channel` closes.
    func run(_ request: ServingRequest, channel: (any Channel)?) -> AsyncThrowingStream<ServingEvent, Error> {
        let (events, continuation) = AsyncThrowingStream.makeStream(of: ServingEvent.self)
        metrics.requests.increment()
        let engine = self.engine
        let metrics = self.metrics
        let pump = Task {
            let arrival = ContinuousClock.now
            var started = false, firstToken: ContinuousClock.Instant?, lastToken = arrival, tokens = 0
            var outcome: Double?
            // The gauges and the admission place are given back before the last event reaches the client: a
            // client that has its answer and reads /metrics next must not see its own request still running.
            var settled = false
            func settle() {
                guard !settled else { return }
                settled = true
                if started { metrics.activeSequences.decrement() } else { metrics.queueDepth.decrement() }
                self.release(seconds: outcome)
            }
            do {
                for try await event in engine.generate(request) {
                    switch event {
                    case .started:
                        started = true
                        metrics.queueDepth.decrement()
                        metrics.activeSequences.increment()
                        metrics.promptTokens.increment(by: Int64(request.promptIDs.count))
                    case .token:
                        let now = ContinuousClock.now
                        if firstToken == nil {
                            firstToken = now
                            metrics.timeToFirstToken.record(now - arrival)
                        }
                        lastToken = now
                        tokens += 1
                        metrics.generatedTokens.increment()
                    case .finished:
                        metrics.succeeded.increment()
                        if let firstToken, tokens > 1 { metrics.perTokenLatency.record((lastToken - firstToken) / (tokens - 1)) }
                        let total = ContinuousClock.now - arrival
                        metrics.requestDuration.record(total)
                        outcome = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
                        settle()
                    }
                    continuation.yield(event)
                }
                settle()
                if outcome == nil { metrics.failed.increment() }
                continuation.finish()
            } catch {
                settle()
                metrics.failed.increment()
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        channel?.closeFuture.whenComplete { _ in pump.cancel() }
        return events
    }
}
