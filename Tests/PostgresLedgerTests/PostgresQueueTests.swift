import Foundation
import Pipelines
import PostgresLedger
import Testing
import TestSupport

/// The queue's SQL against a real PostgreSQL server (Tests/Services/postgres.sh): claims, leases, the
/// fence, retries and `dead`, re-queueing, migrations. Each test gets a fresh database.
@Suite(.enabled(if: TestPostgres.url != nil, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresQueueTests {
    func ledger(_ url: String, lease: TimeInterval = 30, maxAttempts: Int = 3, backoff: TimeInterval = 60) throws -> PostgresLedger {
        try PostgresLedger(url: url, backoff: LedgerBackoff(initial: backoff, maximum: 3600), leaseSeconds: lease, maxAttempts: maxAttempts)
    }

    @Test func migrationsApplyOnceAndAreRecorded() throws {
        let url = try TestPostgres.makeDatabase("migrations")
        let first = try ledger(url)
        let second = try ledger(url)  // a second daemon starting: nothing to do
        #expect(try first.schemaVersions() == [1])
        #expect(try second.schemaVersions() == [1])
        #expect(try TestPostgres.query(url, "SELECT count(*) FROM claire_schema_migrations") == "1")
    }

    @Test func everyFileIsClaimedOnceByConcurrentWorkers() throws {
        let url = try TestPostgres.makeDatabase("claims")
        let files = (0..<200).map { (source: "f\($0).txt", contentHash: "h\($0)") }
        #expect(try ledger(url).enqueue(pipeline: "p", pipelineHash: "ph", files: files) == 200)
        let claimed = Claimed()
        let group = DispatchGroup()
        for worker in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let queue = try ledger(url)
                    while let claim = try queue.claim(pipeline: "p", owner: "w\(worker)") {
                        claimed.add(claim.source, worker: worker)
                        #expect(try queue.complete(claim, modelHash: "m", outputs: [], seconds: 0) {})
                    }
                } catch {
                    Issue.record("worker \(worker): \(error)")
                }
            }
        }
        group.wait()
        let (sources, perWorker) = claimed.result()
        #expect(sources.count == 200)
        #expect(Set(sources).count == 200, "a file was claimed twice")
        #expect(perWorker.count == 4 && perWorker.values.allSatisfy { $0 > 0 }, "work spread: \(perWorker)")
        #expect(try TestPostgres.query(url, "SELECT count(*) FROM claire_work WHERE status = 'done' AND claim_seq = 1") == "200")
    }

    @Test func anExpiredLeaseIsTakenOverAndTheStaleClaimIsFencedOff() throws {
        let url = try TestPostgres.makeDatabase("fence")
        let queue = try ledger(url, lease: 1)
        try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("a.txt", "h1")])
        let stale = try #require(try queue.claim(pipeline: "p", owner: "paused"))
        #expect(try queue.claim(pipeline: "p", owner: "other") == nil, "a live lease is not taken over")
        Thread.sleep(forTimeInterval: 1.5)
        let fresh = try #require(try queue.claim(pipeline: "p", owner: "other"))
        #expect(fresh.claimSeq == stale.claimSeq + 1)
        #expect(fresh.attempt == 2)
        // The paused daemon wakes up: every write of its claim is refused, and its commit never runs.
        #expect(try queue.renew(stale) == false)
        var committed = false
        #expect(try queue.complete(stale, modelHash: "m", outputs: [], seconds: 1) { committed = true } == false)
        #expect(!committed)
        #expect(try queue.fail(stale, error: "late") == .refused)
        #expect(try queue.renew(fresh))
        #expect(try queue.complete(fresh, modelHash: "m", outputs: ["out"], seconds: 1) { committed = true })
        #expect(committed)
        let row = try #require(try queue.queueRows().first)
        #expect(row.state == .done && row.owner == "other" && row.claimSeq == 2)
        let outcomes = try queue.events().map { "\($0.worker ?? "-") \($0.outcome)" }
        #expect(outcomes == ["paused claimed", "other claimed", "other done"])
        #expect(try queue.events()[1].detail == "took over the expired lease of paused")
    }

    @Test func failuresBackOffThenTheFileIsDead() throws {
        let url = try TestPostgres.makeDatabase("retries")
        let queue = try ledger(url, maxAttempts: 3, backoff: 0.2)
        try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("bad.txt", "h1")])
        var outcomes: [QueueFailure] = []
        for attempt in 1...3 {
            var claim: QueueClaim?
            let deadline = Date().addingTimeInterval(10)
            while claim == nil, Date() < deadline {
                claim = try queue.claim(pipeline: "p", owner: "w")
                if claim == nil { Thread.sleep(forTimeInterval: 0.05) }
            }
            let got = try #require(claim, "attempt \(attempt) is claimable after its back-off")
            #expect(got.attempt == attempt)
            let outcome = try queue.fail(got, error: "boom \(attempt)")
            outcomes.append(outcome)
            if case .retry(let at) = outcome {
                #expect(try queue.claim(pipeline: "p", owner: "w") == nil || at <= Date(), "not before its retry time")
            }
        }
        #expect(outcomes.count == 3)
        #expect(outcomes.last == .dead)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try queue.claim(pipeline: "p", owner: "w") == nil, "a dead file is not claimed again")
        #expect(try queue.hasOutstandingWork(pipeline: "p") == false)
        let row = try #require(try queue.queueRows().first)
        #expect(row.state == .dead && row.attempts == 3 && row.lastError == "boom 3")
        // New content revives it.
        #expect(try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("bad.txt", "h2")]) == 1)
        #expect(try queue.claim(pipeline: "p", owner: "w")?.attempt == 1)
    }

    @Test func aFileWhoseWorkersKeepDyingEndsDead() throws {
        let url = try TestPostgres.makeDatabase("crashloop")
        let queue = try ledger(url, lease: 0.3, maxAttempts: 2)
        try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("poison.txt", "h")])
        #expect(try queue.claim(pipeline: "p", owner: "a") != nil)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try queue.claim(pipeline: "p", owner: "b")?.attempt == 2)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try queue.claim(pipeline: "p", owner: "c") == nil)
        let row = try #require(try queue.queueRows().first)
        #expect(row.state == .dead)
        #expect(row.lastError?.contains("lease expired") == true)
    }

    @Test func scansRequeueChangedFilesOnlyAndLeaveRunningOnesAlone() throws {
        let url = try TestPostgres.makeDatabase("requeue")
        let queue = try ledger(url)
        #expect(try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("a", "1"), ("b", "1")]) == 2)
        let a = try #require(try queue.claim(pipeline: "p", owner: "w"))
        #expect(try queue.complete(a, modelHash: "m", outputs: [], seconds: 0) {})
        let b = try #require(try queue.claim(pipeline: "p", owner: "w"))
        // Unchanged: nothing; b changed while running: left alone until it finishes.
        #expect(try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("a", "1"), ("b", "2")]) == 0)
        #expect(try queue.complete(b, modelHash: "m", outputs: [], seconds: 0) {})
        #expect(try TestPostgres.query(url, "SELECT content_hash FROM claire_work WHERE source = 'b'") == "1")
        // The next scan sees the new content; a new pipeline hash re-queues everything.
        #expect(try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("a", "1"), ("b", "2")]) == 1)
        #expect(try queue.claim(pipeline: "p", owner: "w")?.source == "b")
        #expect(try queue.enqueue(pipeline: "p", pipelineHash: "ph2", files: [("a", "1")]) == 1)
    }

    @Test func aReleasedClaimIsReadyAtOnceWithoutCountingAnAttempt() throws {
        let url = try TestPostgres.makeDatabase("release")
        let queue = try ledger(url)
        try queue.enqueue(pipeline: "p", pipelineHash: "ph", files: [("a", "1")])
        let first = try #require(try queue.claim(pipeline: "p", owner: "stopping"))
        try queue.release(first)
        let second = try #require(try queue.claim(pipeline: "p", owner: "w"))
        #expect(second.attempt == 1 && second.claimSeq == 2)
    }

    @Test func aBadURLIsOneClearLine() throws {
        #expect(throws: PostgresLedgerError.self) { try PostgresLedger(url: "postgres://host-only") }
        do {
            _ = try PostgresLedger(url: "postgres://u:secret@127.0.0.1:1/db", reconnectWindow: 0.5)
            Issue.record("connected to port 1")
        } catch {
            let text = "\(error)"
            #expect(text.contains("postgres://u@127.0.0.1:1/db"), "\(text)")
            #expect(!text.contains("secret"))
        }
    }
}

/// What the concurrent workers claimed.
private final class Claimed: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [String] = []
    private var perWorker: [Int: Int] = [:]

    func add(_ source: String, worker: Int) {
        lock.withLock {
            sources.append(source)
            perWorker[worker, default: 0] += 1
        }
    }

    func result() -> ([String], [Int: Int]) { lock.withLock { (sources, perWorker) } }
}
