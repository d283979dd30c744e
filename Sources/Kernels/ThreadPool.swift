import CKernels
import Foundation
import Synchronization

/// Runs work on a fixed number of threads: the caller and `threadCount − 1` threads of its own, created once
/// and kept for the pool's life, so that every worker index is always the same thread and can own scratch
/// memory allocated once.
///
/// Why not Dispatch's `concurrentPerform`: a decode step is ~10 products of 0.3–10 ms each, back to back.
/// Dispatch wakes a pooled thread for each, and when that thread comes late the caller has already taken
/// most of the chunks. Here the workers spin between products for a short while (`spinTime`), so the next
/// product finds them awake, and then sleep, so an idle pool costs no CPU. Measured on a 2-core host,
/// alternating four rounds with the Dispatch build: Q8_0 file decode 45–61 → 59–61 tokens/s, Q4_K_M 47–55 →
/// 50–58 (the host's own slow phases still show in longer series).
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int
    private let crew: Crew?

    /// `threads` ≤ 0 means one per core.
    public init(threads: Int = 0) {
        threadCount = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        crew = threadCount > 1 ? Crew(helpers: threadCount - 1) : nil
    }

    deinit { crew?.stop() }

    /// Calls `body(worker, range)` once per worker with contiguous, near-equal slices of `0..<count`.
    @inline(__always)
    public func parallelFor(_ count: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        let workers = min(threadCount, count)
        if workers <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        run(workers) { worker in
            let start = count * worker / workers
            let end = count * (worker + 1) / workers
            if start < end { body(worker, start..<end) }
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
        run(workers) { worker in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if index >= chunks { return }
                body(worker, (index * chunk)..<min(count, (index + 1) * chunk))
            }
        }
    }

    /// `job(0)` on the calling thread and `job(1)` … `job(workers − 1)` on the pool's threads; returns when
    /// all have. A call made while the pool is busy (from another thread, or from inside a job) runs every
    /// index on the calling thread instead of waiting for the pool.
    private func run(_ workers: Int, _ job: (Int) -> Void) {
        guard let crew, crew.claim() else {
            for worker in 0..<workers { job(worker) }
            return
        }
        withoutActuallyEscaping(job) { job in
            crew.start(job, workers: workers)
            job(0)
            crew.waitForHelpers()
        }
        crew.release()
    }
}

/// The pool's own threads and the handshake with the caller. A job is published by storing it and then
/// bumping `state`, which holds a serial number and the job's worker count in one atomic word (so a helper
/// never pairs one job's count with another's serial). A helper whose index is below the count runs it and
/// decrements `running`; the caller spins until `running` is zero, and only then may publish again, so the
/// stored job never changes under a helper that runs it.
private final class Crew: @unchecked Sendable {
    /// How long a helper keeps spinning for the next job before it sleeps.
    static let spinTime: UInt64 = 500_000 // ns

    private let busy = Atomic<Bool>(false)
    private let state = Atomic<Int>(0)
    private let running = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let bell = NSCondition()
    // Written by the caller before `state` moves, read only by helpers counted in `running`.
    private nonisolated(unsafe) var job: ((Int) -> Void)?

    init(helpers: Int) {
        for index in 1...helpers {
            // The first serial is 0, read here rather than by the thread, which may start after a job.
            let thread = Thread { [self] in self.serve(index, seen: 0) }
            thread.name = "claire-pool-\(index)"
            thread.start()
        }
    }

    func claim() -> Bool { busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged }
    func release() { busy.store(false, ordering: .releasing) }

    func start(_ job: @escaping (Int) -> Void, workers: Int) {
        self.job = job
        running.store(workers - 1, ordering: .relaxed)
        let serial = state.load(ordering: .relaxed) >> 16
        state.store((serial + 1) << 16 | workers, ordering: .sequentiallyConsistent)
        wakeSleepers()
    }

    func waitForHelpers() {
        while running.load(ordering: .acquiring) > 0 { ck_cpu_relax() }
        job = nil
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        state.wrappingAdd(1 << 16, ordering: .sequentiallyConsistent)
        wakeSleepers()
    }

    private func wakeSleepers() {
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            bell.lock(); bell.broadcast(); bell.unlock()
        }
    }

    private func serve(_ index: Int, seen initial: Int) {
        var seen = initial
        while true {
            seen = awaitState(after: seen)
            if stopping.load(ordering: .acquiring) { return }
            if index < seen & 0xFFFF {
                runJob(index)
                running.subtract(1, ordering: .releasing)
            }
        }
    }

    /// A function of its own so that the job's reference is released before `running` is decremented.
    @inline(never)
    private func runJob(_ index: Int) { job?(index) }

    /// Spins for up to `spinTime`, then sleeps until `state` moves past `seen`.
    private func awaitState(after seen: Int) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinTime
        var spins = 0
        while true {
            let now = state.load(ordering: .acquiring)
            if now != seen { return now }
            spins += 1
            if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds > deadline { break }
            ck_cpu_relax()
        }
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        bell.lock()
        var now = state.load(ordering: .sequentiallyConsistent)
        while now == seen {
            bell.wait()
            now = state.load(ordering: .sequentiallyConsistent)
        }
        bell.unlock()
        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        return now
    }
}
