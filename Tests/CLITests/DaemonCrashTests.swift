import Foundation
import Testing
import TestSupport

/// The daemon as it runs in production: a real child process, killed with SIGKILL at several moments,
/// restarted, and checked to have written every output exactly once and complete — byte for byte what an
/// uninterrupted run writes, timings aside.
@Suite(.serialized)
struct DaemonCrashTests {
    /// Six-to-fourteen-turn meetings in small windows, sampled, so that each file spans several windows.
    func makeWorkspace(files: Int) throws -> PipelineWorkspace {
        let workspace = try PipelineWorkspace(prefix: "daemon")
        var made = false
        defer { if !made { TemporaryFiles.remove(workspace.root) } }
        for f in 0..<files {
            try workspace.writeMeeting(f, turns: 14) { "Fichier \(f), réplique \($0) : on parle du planning et du budget de la salle." }
        }
        try workspace.writeCompleteTurnPipeline(name: "crash-test", seed: 11, window: 72,
                                                generation: "max_new_tokens: 12, temperature: 1.0, top_k: 10", output: workspace.output("unused"))
        made = true
        return workspace
    }

    func launch(_ workspace: PipelineWorkspace, output: String, extra: [String] = ["--once"]) throws -> Process {
        try workspace.launch(["daemon", workspace.pipeline.path, "--output", workspace.output(output).path] + extra)
    }

    func outputs(_ directory: URL) throws -> [String: [String]] { try OutputRecords.read(directory) }
    func temporaries(_ directory: URL) -> [String] { OutputRecords.temporaries(directory) }

    @Test func killedAtAnyMomentEveryOutputEndsUpOnceAndComplete() throws {
        let workspace = try makeWorkspace(files: 6)
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let clean = try launch(workspace, output: "clean")
        let cleanStart = Date()
        clean.waitUntilExit()
        #expect(clean.terminationStatus == 0)
        let cleanSeconds = Date().timeIntervalSince(cleanStart)
        let expected = try outputs(workspace.output("clean"))
        #expect(expected.count == 6)
        for records in expected.values { #expect(records.count >= 2, "each file spans several windows") }

        // Kill points spread over a full run's duration, from "model still loading" to "nearly done": 7 in CI,
        // more in the soak (Tests/Soak/daemon-kill-soak.sh sets CLAIRE_DAEMON_KILLS=20).
        let kills = max(2, Int(ProcessInfo.processInfo.environment["CLAIRE_DAEMON_KILLS"] ?? "") ?? 7)
        var killsThatInterrupted = 0
        for fraction in (0..<kills).map({ 0.05 + 0.9 * Double($0) / Double(kills - 1) }) {
            // Points within what is left to do, so that later kills still land while files are processed.
            let done = try outputs(workspace.output("crashed")).count
            let left = max(0.2, Double(expected.count - done) / Double(expected.count))
            let process = try launch(workspace, output: "crashed")
            Thread.sleep(forTimeInterval: cleanSeconds * fraction * left)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killsThatInterrupted += 1
            }
            process.waitUntilExit()
        }
        #expect(killsThatInterrupted >= 3, "the kills must land while the daemon works")
        print("daemon crash test: \(killsThatInterrupted) of \(kills) SIGKILLs landed while the daemon ran (a clean run takes \(String(format: "%.1f", cleanSeconds)) s)")
        var finished = false
        for _ in 0..<3 where !finished {
            let restart = try launch(workspace, output: "crashed")
            restart.waitUntilExit()
            finished = restart.terminationStatus == 0
        }
        #expect(finished)
        let got = try outputs(workspace.output("crashed"))
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, records) in expected { #expect(got[name] == records, "\(name) differs from the uninterrupted run") }
        #expect(temporaries(workspace.output("crashed")).isEmpty)
    }

    @Test func sigtermFinishesTheWindowAndExitsZero() throws {
        let workspace = try makeWorkspace(files: 3)
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let process = try launch(workspace, output: "out", extra: ["--every", "1h"])
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, try outputs(workspace.output("out")).isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        kill(process.processIdentifier, SIGTERM)
        let stopped = Date()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Date().timeIntervalSince(stopped) < 10)
        #expect(temporaries(workspace.output("out")).isEmpty)
        // What was recorded is complete: a restart finishes the rest and changes nothing already written.
        let before = try outputs(workspace.output("out"))
        let restart = try launch(workspace, output: "out")
        restart.waitUntilExit()
        let after = try outputs(workspace.output("out"))
        #expect(after.count == 3)
        for (name, records) in before { #expect(after[name] == records) }
    }

    @Test func aSecondDaemonOnTheSameStateIsRefused() throws {
        let workspace = try makeWorkspace(files: 1)
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let first = try launch(workspace, output: "out", extra: ["--every", "1h"])
        defer { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() }
        let lockFile = workspace.output("out").appendingPathComponent(".claire-pipeline-state.sqlite.lock")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: lockFile.path), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.3)
        let binary = try #require(Executables.clairePipeline)
        let second = try Executables.run(binary, ["daemon", workspace.pipeline.path, "--output", workspace.output("out").path, "--once"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another daemon (pid \(first.processIdentifier))"), "\(second.stderr)")
    }
}
