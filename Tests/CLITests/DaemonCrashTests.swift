import Foundation
import Testing
import TestSupport

/// The daemon as it runs in production: a real child process, killed with SIGKILL at several moments,
/// restarted, and checked to have written every output exactly once and complete — byte for byte what an
/// uninterrupted run writes, timings aside.
@Suite(.serialized)
struct DaemonCrashTests {
    static let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf")

    struct Workspace {
        let root: URL
        var input: URL { root.appendingPathComponent("in") }
        var pipeline: URL { root.appendingPathComponent("pipeline.yaml") }
        func output(_ name: String) -> URL { root.appendingPathComponent(name) }
    }

    /// A new workspace in the temporary directory, for the caller to remove; removed here if making it fails.
    func makeWorkspace(files: Int) throws -> Workspace {
        let workspace = Workspace(root: try TemporaryFiles.makeDirectory(prefix: "daemon"))
        var made = false
        defer { if !made { TemporaryFiles.remove(workspace.root) } }
        try FileManager.default.createDirectory(at: workspace.input, withIntermediateDirectories: true)
        for f in 0..<files {
            let text = (0..<14).map { t in "SPEAKER_0\(t % 2): Fichier \(f), réplique \(t) : on parle du planning et du budget de la salle." }
            try (text.joined(separator: "\n") + "\n").write(to: workspace.input.appendingPathComponent("meeting-\(f).txt"), atomically: true, encoding: .utf8)
        }
        try """
            name: crash-test
            seed: 11
            input: { paths: [\(workspace.input.path)] }
            normalize: { speakers: intervenant, casing: keep }
            chunk: { window: 72, reserve: 12, overlap_turns: 1 }
            model: { path: \(Self.model.path), threads: 1 }
            steps:
              - id: next
                kind: complete-turn
                template: "{{window}}\\n{{next_speaker}}"
                generation: { max_new_tokens: 12, temperature: 1.0, top_k: 10 }
            output: { dir: \(workspace.output("unused").path), format: jsonl }
            """.write(to: workspace.pipeline, atomically: true, encoding: .utf8)
        made = true
        return workspace
    }

    func launch(_ workspace: Workspace, output: String, extra: [String] = ["--once"]) throws -> Process {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["daemon", workspace.pipeline.path, "--output", workspace.output(output).path] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Every output file's records without their timings, by relative path.
    func outputs(_ directory: URL) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let name = enumerator?.nextObject() as? String {
            guard name.hasSuffix(".jsonl") else { continue }
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            result[name] = try text.split(separator: "\n").map { line in
                var record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                record["timings"] = nil
                return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
            }
        }
        return result
    }

    func temporaries(_ directory: URL) -> [String] {
        (FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []).filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }
    }

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
