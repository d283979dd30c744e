import Dispatch
import Foundation
import Synchronization

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

    /// Calls `body(worker, range)` on consecutive chunks of `chunk` items of `0..<count`, which the workers
    /// take one after another until none are left. On a shared host one core is often slower than the other
    /// for a while; with fixed halves the product waits for the slow one, with chunks the fast one takes more.
    /// Every range but the last starts and ends on a multiple of `chunk`.
    @inline(__always)
    public func parallelChunks(_ count: Int, chunk: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        precondition(chunk > 0)
        let chunks = (count + chunk - 1) / chunk
        let workers = min(threadCount, chunks)
        if workers <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if index >= chunks { return }
                    body(worker, (index * chunk)..<min(count, (index + 1) * chunk))
                }
            }
        }
    }
}
