import Dispatch
import Foundation

/// Runs work on a fixed number of threads. Dispatch keeps its worker threads alive between calls, so a
/// `parallelFor` costs a wake-up, not a thread creation; every worker gets a stable index so it can own
/// scratch memory allocated once.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int

    /// `threads` ≤ 0 means one per core.
    public init(threads: Int = 0) {
        threadCount = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Calls `body(worker, range)` once per worker with contiguous, near-equal slices of `0..<count`.
    @inline(__always)
    public func parallelFor(_ count: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        let workers = min(threadCount, count)
        if workers <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = count * worker / workers
                let end = count * (worker + 1) / workers
                if start < end { body(worker, start..<end) }
            }
        }
    }
}
