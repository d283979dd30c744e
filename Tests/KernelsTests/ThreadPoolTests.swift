import Foundation
import Synchronization
import Testing
@testable import Kernels

struct ThreadPoolTests {
    @Test func threadPoolCoversEveryIndexOnce() {
        let pool = ThreadPool(threads: 3)
        for count in [0, 1, 2, 3, 10, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0, count: max(count, 1))
            pool.parallelFor(count) { _, range in for i in range { hits[i] += 1 } }
            #expect((0..<count).allSatisfy { hits[$0] == 1 })
            hits.deallocate()
        }
    }

    @Test func threadPoolChunksCoverEveryIndexOnceOnChunkBoundaries() {
        let pool = ThreadPool(threads: 3)
        for (count, chunk) in [(0, 8), (1, 8), (7, 8), (8, 8), (9, 8), (1000, 64), (4544, 64), (100, 1)] {
            // Per index: how often it was visited, where its range began, which worker ran it (each index is
            // written by the one worker that owns it, so there is no shared write).
            var hits = [Int](repeating: 0, count: count), starts = hits, workers = hits
            hits.withUnsafeMutableBufferPointer { hits in
                starts.withUnsafeMutableBufferPointer { starts in
                    workers.withUnsafeMutableBufferPointer { workers in
                        pool.parallelChunks(count, chunk: chunk) { worker, range in
                            for i in range { hits[i] += 1; starts[i] = range.lowerBound; workers[i] = worker }
                        }
                    }
                }
            }
            #expect(hits.allSatisfy { $0 == 1 }, "count \(count) chunk \(chunk)")
            #expect((0..<count).allSatisfy { starts[$0] == $0 / chunk * chunk }, "count \(count) chunk \(chunk)")
            #expect(workers.allSatisfy { (0..<pool.threadCount).contains($0) })
        }
    }

    /// Thousands of products back to back, some after pauses longer than the helpers spin (so they sleep and
    /// are woken): every index is covered exactly once each time, never missed, never run twice.
    @Test func manyJobsInARowEachRunOnce() {
        let pool = ThreadPool(threads: 3)
        let count = 257
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        defer { hits.deallocate() }
        for job in 0..<3000 {
            hits.initialize(repeating: 0, count: count)
            if job % 500 == 0 { Thread.sleep(forTimeInterval: 0.003) }
            if job % 2 == 0 {
                pool.parallelFor(count) { _, range in for i in range { hits[i] += 1 } }
            } else {
                pool.parallelChunks(count, chunk: 16) { _, range in for i in range { hits[i] += 1 } }
            }
            let wrong = (0..<count).first { hits[$0] != 1 }
            #expect(wrong == nil, "job \(job): index \(wrong ?? -1) visited \(wrong.map { hits[$0] } ?? 0) times")
            if wrong != nil { return }
        }
    }

    /// Worker i is always the same thread (scratch owned per worker relies on it), and worker 0 is the caller.
    @Test func eachWorkerIndexIsAlwaysTheSameThread() {
        let pool = ThreadPool(threads: 3)
        let threads = UnsafeMutablePointer<pthread_t?>.allocate(capacity: 3)
        threads.initialize(repeating: nil, count: 3)
        defer { threads.deallocate() }
        let mismatches = Atomic<Int>(0)
        for _ in 0..<200 {
            pool.parallelFor(3) { worker, _ in
                let me = pthread_self()
                if let known = threads[worker] {
                    if pthread_equal(known, me) == 0 { mismatches.add(1, ordering: .relaxed) }
                } else {
                    threads[worker] = me
                }
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
        #expect(threads[0].map { pthread_equal($0, pthread_self()) != 0 } == true)
        let ids = (0..<3).compactMap { threads[$0] }
        #expect(ids.count == 3 && pthread_equal(ids[0], ids[1]) == 0 && pthread_equal(ids[0], ids[2]) == 0 && pthread_equal(ids[1], ids[2]) == 0)
    }

    /// A product started from inside a job, or from a second thread while the pool is busy, runs on the
    /// calling thread instead of waiting for the pool: it completes, and covers every index once.
    @Test func nestedAndConcurrentCallsComplete() async {
        let pool = ThreadPool(threads: 2)
        let inner = 100
        let nested = UnsafeMutablePointer<Int>.allocate(capacity: 2 * inner)
        nested.initialize(repeating: 0, count: 2 * inner)
        defer { nested.deallocate() }
        pool.parallelFor(2) { worker, _ in
            pool.parallelFor(inner) { _, range in for i in range { nested[worker * inner + i] += 1 } }
        }
        #expect((0..<(2 * inner)).allSatisfy { nested[$0] == 1 })

        let totals = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let sums = UnsafeMutablePointer<Int>.allocate(capacity: 2)
                    defer { sums.deallocate() }
                    var total = 0
                    for _ in 0..<200 {
                        sums.initialize(repeating: 0, count: 2)
                        pool.parallelFor(1000) { worker, range in sums[worker] += range.reduce(0, +) }
                        total += sums[0] + sums[1]
                    }
                    return total
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(totals == [Int](repeating: 200 * 999 * 1000 / 2, count: 4))
    }

    /// A released pool ends its threads: creating and dropping many leaves the process's thread count as it was.
    @Test func releasedPoolsEndTheirThreads() throws {
        func threadCount() throws -> Int {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Threads:") })
            return try #require(Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)))
        }
        let before = try threadCount()
        for _ in 0..<50 {
            let pool = ThreadPool(threads: 4)
            pool.parallelFor(8) { _, _ in }
        }
        // 150 helpers were started; each exits once woken by its pool's release. Other tests running at the
        // same time hold a few threads of their own, hence the margin.
        var remaining = 0
        for _ in 0..<200 {
            remaining = try threadCount()
            if remaining <= before + 40 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(remaining <= before + 40, "\(remaining) threads, \(before) before: released pools' helpers did not exit")
    }
}
