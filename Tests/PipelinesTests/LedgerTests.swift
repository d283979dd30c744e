import Foundation
import Testing
import TestSupport
@testable import Pipelines

@Suite struct LedgerTests {
    private let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func newChangedAndUnchangedFiles() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let ledger = try SQLiteLedger(path: directory.appendingPathComponent("state.sqlite").path)
        #expect(try ledger.decision(pipeline: "p", source: "a", contentHash: "c1", pipelineHash: "p1", now: t0) == .process(attempt: 1))
        try ledger.markDone(pipeline: "p", source: "a", contentHash: "c1", pipelineHash: "p1", modelHash: "m", outputs: ["o"], now: t0)
        #expect(try ledger.decision(pipeline: "p", source: "a", contentHash: "c1", pipelineHash: "p1", now: t0) == .upToDate)
        #expect(try ledger.decision(pipeline: "p", source: "a", contentHash: "c2", pipelineHash: "p1", now: t0) == .process(attempt: 1), "content changed")
        #expect(try ledger.decision(pipeline: "p", source: "a", contentHash: "c1", pipelineHash: "p2", now: t0) == .process(attempt: 1), "pipeline changed")
        #expect(try ledger.decision(pipeline: "q", source: "a", contentHash: "c1", pipelineHash: "p1", now: t0) == .process(attempt: 1), "other pipeline")
        let entry = try #require(try ledger.entry(pipeline: "p", source: "a"))
        #expect(entry.status == .done && entry.modelHash == "m" && entry.updatedAt == t0)
    }

    @Test func failuresBackOffExponentiallyAndResetOnChange() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let ledger = try SQLiteLedger(path: directory.appendingPathComponent("state.sqlite").path,
                                backoff: .init(initial: 10, maximum: 35))
        let first = try ledger.markFailed(pipeline: "p", source: "a", contentHash: "c", pipelineHash: "h", error: "boom", now: t0)
        #expect(first == t0.addingTimeInterval(10))
        #expect(try ledger.decision(pipeline: "p", source: "a", contentHash: "c", pipelineHash: "h", now: t0.addingTimeInterval(5)) == .waitingForRetry(until: first))
        #expect(try ledger.decision(pipeline: "p", source: "a", contentHash: "c", pipelineHash: "h", now: first) == .process(attempt: 2))
        let second = try ledger.markFailed(pipeline: "p", source: "a", contentHash: "c", pipelineHash: "h", error: "boom", now: first)
        #expect(second == first.addingTimeInterval(20))
        let third = try ledger.markFailed(pipeline: "p", source: "a", contentHash: "c", pipelineHash: "h", error: "boom again", now: second)
        #expect(third == second.addingTimeInterval(35), "capped")
        let entry = try #require(try ledger.entry(pipeline: "p", source: "a"))
        #expect(entry.attempts == 3 && entry.lastError == "boom again" && entry.status == .failed)
        // A fixed file is tried at once, and its attempts start again.
        #expect(try ledger.decision(pipeline: "p", source: "a", contentHash: "c2", pipelineHash: "h", now: second) == .process(attempt: 1))
        let fresh = try ledger.markFailed(pipeline: "p", source: "a", contentHash: "c2", pipelineHash: "h", error: "x", now: t0)
        #expect(fresh == t0.addingTimeInterval(10))
    }

    @Test func aFailureDoesNotBlockOtherFiles() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let ledger = try SQLiteLedger(path: directory.appendingPathComponent("state.sqlite").path)
        try ledger.markFailed(pipeline: "p", source: "bad", contentHash: "c", pipelineHash: "h", error: "boom", now: t0)
        #expect(try ledger.decision(pipeline: "p", source: "good", contentHash: "c", pipelineHash: "h", now: t0) == .process(attempt: 1))
    }

    @Test func stateSurvivesReopening() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("state.sqlite").path
        do {
            let ledger = try SQLiteLedger(path: path)
            try ledger.markDone(pipeline: "p", source: "a", contentHash: "c", pipelineHash: "h", modelHash: "m", outputs: [], now: t0)
        }
        let reopened = try SQLiteLedger(path: path)
        #expect(try reopened.decision(pipeline: "p", source: "a", contentHash: "c", pipelineHash: "h", now: t0) == .upToDate)
        #expect(try reopened.entries().count == 1)
    }

    @Test func secondDaemonLockNamesTheHolder() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("state.sqlite").path
        let lock = try DaemonLock(besideDatabase: path)
        withExtendedLifetime(lock) {
            #expect { try DaemonLock(besideDatabase: path) } throws: { error in
                "\(error)" == "\(path): another daemon (pid \(getpid())) is already using this state database; stop it or pass another --state"
            }
        }
    }

    @Test func lockIsReleasedWithItsOwner() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("state.sqlite").path
        do { _ = try DaemonLock(besideDatabase: path) }
        _ = try DaemonLock(besideDatabase: path)
    }
}
