import Foundation
import Testing
import TestSupport

/// Several real `daemon` processes sharing one PostgreSQL queue (Tests/Services/postgres.sh), over one input
/// folder and one output folder, with the bundled model: the work is shared and every output is written once,
/// byte for byte what a single daemon writes (timings aside); a killed daemon's file is finished by another;
/// a paused daemon's late writes are refused; a changed input is redone; a restarted server is ridden out.
@Suite(.serialized, .enabled(if: TestPostgres.url != nil, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresDaemonTests {
    /// `files` transcripts of `turns` turns each; the pipeline's windows are small so files span several.
    func makeWorkspace(_ name: String, files: Int, turns: Int = 10) throws -> PipelineWorkspace {
        let workspace = try PipelineWorkspace(prefix: "pg-daemon")
        for f in 0..<files { try writeMeeting(f, turns: turns, in: workspace) }
        try workspace.writeCompleteTurnPipeline(name: name, seed: 5, window: 72,
                                                generation: "max_new_tokens: 8, temperature: 1.0, top_k: 10", output: workspace.output("unused"))
        return workspace
    }

    @discardableResult
    func writeMeeting(_ f: Int, turns: Int, variant: String = "", in workspace: PipelineWorkspace) throws -> URL {
        try workspace.writeMeeting(f, turns: turns, name: String(format: "meeting-%02d.txt", f)) { t in
            "Réunion \(f)\(variant), point \(t) : le budget, le planning et la salle."
        }
    }

    func launch(_ workspace: PipelineWorkspace, output: String, arguments: [String], log: String? = nil) throws -> Process {
        try workspace.launch(["daemon", workspace.pipeline.path, "--output", workspace.output(output).path] + arguments,
                             log: log.map { workspace.root.appendingPathComponent($0) })
    }

    /// A single daemon on its own SQLite ledger: the outputs every shared run must reproduce.
    func reference(_ workspace: PipelineWorkspace) throws -> [String: [String]] {
        let single = try launch(workspace, output: "single", arguments: ["--once"])
        single.waitUntilExit()
        #expect(single.terminationStatus == 0)
        return try OutputRecords.read(workspace.output("single"))
    }

    func shared(_ workspace: PipelineWorkspace, _ database: String, lease: Int = 30, count: Int, extra: [String] = []) throws -> [Process] {
        try (0..<count).map { index in
            try launch(workspace, output: "shared", arguments: ["--state", database, "--once", "--lease", "\(lease)"] + extra, log: "daemon-\(index).log")
        }
    }

    /// Two daemons with 2-second leases over long files, returned once the first has claimed one (`claimed`),
    /// with the single daemon's outputs they must reproduce. The caller removes the workspace.
    func twoDaemonsOnceTheFirstHasClaimed(_ name: String, files: Int) throws
        -> (PipelineWorkspace, expected: [String: [String]], database: String, daemons: [Process], claimed: String) {
        let workspace = try makeWorkspace(name, files: files, turns: 40)
        do {
            let expected = try reference(workspace)
            let database = try TestPostgres.makeDatabase(name)
            let daemons = try shared(workspace, database, lease: 2, count: 2)
            let first = "%/\(daemons[0].processIdentifier)"
            guard let claimed = try waitFor(database, "SELECT source FROM claire_work WHERE status = 'running' AND lease_owner LIKE '\(first)'") else {
                for daemon in daemons { kill(daemon.processIdentifier, SIGKILL) }
                throw NoClaim(logs: logs(workspace))
            }
            return (workspace, expected, database, daemons, claimed)
        } catch {
            TemporaryFiles.remove(workspace.root)
            throw error
        }
    }

    struct NoClaim: Error, CustomStringConvertible {
        let logs: String
        var description: String { "the first daemon claimed no file within the wait: \(logs)" }
    }

    func waitForExit(_ processes: [Process], seconds: TimeInterval = 150) {
        let deadline = Date().addingTimeInterval(seconds)
        for process in processes {
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning {
                Issue.record("daemon \(process.processIdentifier) still running after \(Int(seconds)) s")
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
    }

    /// Polls `sql` until it prints a non-empty answer.
    func waitFor(_ database: String, _ sql: String, seconds: TimeInterval = 60) throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            // Before the first daemon has migrated the database, its tables do not exist yet: not an answer.
            if let answer = try? TestPostgres.query(database, sql), !answer.isEmpty { return answer }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    func expectSameOutputs(_ workspace: PipelineWorkspace, _ expected: [String: [String]], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let got = try OutputRecords.read(workspace.output("shared"))
        #expect(got.keys.sorted() == expected.keys.sorted(), sourceLocation: sourceLocation)
        for (name, records) in expected { #expect(got[name] == records, "\(name) differs from the single daemon's", sourceLocation: sourceLocation) }
        #expect(OutputRecords.temporaries(workspace.output("shared")).isEmpty, "temporaries left", sourceLocation: sourceLocation)
    }

    func logs(_ workspace: PipelineWorkspace) -> String {
        (0..<3).compactMap { try? String(contentsOf: workspace.root.appendingPathComponent("daemon-\($0).log"), encoding: .utf8) }.joined(separator: "\n---\n")
    }

    @Test func threeDaemonsShareTheWorkAndWriteEveryOutputOnce() throws {
        let workspace = try makeWorkspace("three", files: 30, turns: 6)
        defer { TemporaryFiles.remove(workspace.root) }
        let expected = try reference(workspace)
        #expect(expected.count == 30)
        let database = try TestPostgres.makeDatabase("three")
        let daemons = try shared(workspace, database, count: 3)
        waitForExit(daemons)
        for daemon in daemons { #expect(daemon.terminationStatus == 0, "\(logs(workspace))") }
        try expectSameOutputs(workspace, expected)
        #expect(try TestPostgres.query(database, "SELECT count(*) FROM claire_work WHERE status = 'done' AND claim_seq = 1") == "30")
        // Exactly one claim and one completion per file; every daemon did some.
        #expect(try TestPostgres.query(database, "SELECT count(*) FROM claire_event WHERE outcome = 'claimed'") == "30")
        #expect(try TestPostgres.query(database, "SELECT count(DISTINCT source) FROM claire_event WHERE outcome = 'done'") == "30")
        let workers = try TestPostgres.query(database, "SELECT worker || ' ' || count(*) FROM claire_event WHERE outcome = 'done' GROUP BY worker")
        #expect(workers.split(separator: "\n").count == 3, "work spread over the three daemons: \(workers)")
    }

    @Test func aKilledDaemonsFileIsFinishedByAnother() throws {
        let (workspace, expected, database, daemons, claimed) = try twoDaemonsOnceTheFirstHasClaimed("killed", files: 5)
        defer { TemporaryFiles.remove(workspace.root) }
        let victim = daemons[0]
        Thread.sleep(forTimeInterval: 0.1)  // mid-file: its first windows
        kill(victim.processIdentifier, SIGKILL)
        waitForExit(daemons)
        #expect(daemons[1].terminationStatus == 0, "\(logs(workspace))")
        try expectSameOutputs(workspace, expected)
        let row = try TestPostgres.query(database, "SELECT status, claim_seq, attempts FROM claire_work WHERE source = '\(claimed)'")
        #expect(row == "done|2|2", "the survivor took the file over: \(row)")
        let takeover = try TestPostgres.query(database, "SELECT detail FROM claire_event WHERE source = '\(claimed)' AND outcome = 'claimed' AND claim_seq = 2")
        #expect(takeover.hasSuffix("/\(victim.processIdentifier)"), "\(takeover)")
        #expect(try TestPostgres.query(database, "SELECT count(*) FROM claire_work WHERE status <> 'done'") == "0")
    }

    @Test func aPausedDaemonsLateWritesAreRefusedByTheFence() throws {
        let (workspace, expected, database, daemons, claimed) = try twoDaemonsOnceTheFirstHasClaimed("paused", files: 4)
        defer { TemporaryFiles.remove(workspace.root) }
        let sleeper = daemons[0]
        let owner = "%/\(sleeper.processIdentifier)"
        kill(sleeper.processIdentifier, SIGSTOP)
        // Past its lease, the other daemon takes the file over and finishes it.
        let finished = try waitFor(database, "SELECT 1 FROM claire_work WHERE source = '\(claimed)' AND status = 'done' AND claim_seq >= 2", seconds: 90)
        kill(sleeper.processIdentifier, SIGCONT)
        #expect(finished != nil, "\(logs(workspace))")
        waitForExit(daemons)
        for daemon in daemons { #expect(daemon.terminationStatus == 0, "it moves on after losing the lease: \(logs(workspace))") }
        try expectSameOutputs(workspace, expected)
        let refused = try TestPostgres.query(database, "SELECT count(*) FROM claire_event WHERE source = '\(claimed)' AND outcome = 'lease_lost' AND worker LIKE '\(owner)'")
        #expect(refused == "1", "the paused daemon's late writes were refused and recorded: \(logs(workspace))")
        #expect(try TestPostgres.query(database, "SELECT lease_owner NOT LIKE '\(owner)' FROM claire_work WHERE source = '\(claimed)'") == "t")
        #expect(try TestPostgres.query(database, "SELECT count(*) FROM claire_work WHERE status <> 'done'") == "0")
    }

    @Test func anInputChangedWhileItRunsIsRequeuedByTheNextScan() throws {
        let workspace = try makeWorkspace("changed", files: 3, turns: 24)
        defer { TemporaryFiles.remove(workspace.root) }
        let database = try TestPostgres.makeDatabase("changed")
        let first = try shared(workspace, database, count: 1)
        let running = try #require(try waitFor(database, "SELECT source FROM claire_work WHERE status = 'running'"))
        let oldHash = try TestPostgres.query(database, "SELECT content_hash FROM claire_work WHERE source = '\(running)'")
        let index = Int(running.dropFirst("meeting-".count).prefix(2))!
        try writeMeeting(index, turns: 20, variant: " (version corrigée)", in: workspace)
        waitForExit(first)
        #expect(first[0].terminationStatus == 0)
        // The run completed and recorded what it read then; the next scan sees the new content.
        #expect(try TestPostgres.query(database, "SELECT status, content_hash FROM claire_work WHERE source = '\(running)'") == "done|\(oldHash)")
        let second = try shared(workspace, database, count: 1)
        waitForExit(second)
        #expect(second[0].terminationStatus == 0)
        #expect(try TestPostgres.query(database, "SELECT claim_seq, content_hash <> '\(oldHash)' FROM claire_work WHERE source = '\(running)'") == "2|t")
        #expect(try TestPostgres.query(database, "SELECT count(*) FROM claire_work WHERE claim_seq = 1 AND status = 'done'") == "2")
        try expectSameOutputs(workspace, try reference(workspace))
    }

    @Test func daemonsRideOutAPostgresRestart() throws {
        let workspace = try makeWorkspace("restart", files: 8, turns: 14)
        defer { TemporaryFiles.remove(workspace.root) }
        let expected = try reference(workspace)
        let database = try TestPostgres.makeDatabase("restart")
        let daemons = try shared(workspace, database, lease: 10, count: 2)
        #expect(try waitFor(database, "SELECT 1 FROM claire_work WHERE status = 'done' LIMIT 1") != nil)
        try TestPostgres.restart()
        waitForExit(daemons)
        for daemon in daemons { #expect(daemon.terminationStatus == 0, "\(logs(workspace))") }
        try expectSameOutputs(workspace, expected)
        #expect(try TestPostgres.query(database, "SELECT count(*) FROM claire_work WHERE status = 'done'") == "8")
        #expect(logs(workspace).contains("reconnecting"), "the restart was noticed: \(logs(workspace))")
    }
}
