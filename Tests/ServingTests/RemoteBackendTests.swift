import Foundation
import Testing
import TestSupport

/// Pipelines whose model is a `serve` process reached over HTTP (`model.backend: tgi | openai`).
@Suite(.serialized) struct RemoteBackendTests {
    /// The shared scratch layout, with one pipeline and one output folder per model configuration.
    struct Workspace {
        let files: PipelineWorkspace
        var root: URL { files.root }
        var input: URL { files.input }
        func pipeline(_ name: String) -> URL { root.appendingPathComponent("\(name).yaml") }
        func output(_ name: String) -> URL { root.appendingPathComponent("out-\(name)") }
    }

    /// Input files and one pipeline per `models` entry (name → the YAML `model:` mapping), all else equal.
    func makeWorkspace(files: Int, models: [String: String]) throws -> Workspace {
        let workspace = Workspace(files: try PipelineWorkspace(prefix: "remote"))
        var made = false
        defer { if !made { TemporaryFiles.remove(workspace.root) } }
        for f in 0..<files {
            try workspace.files.writeMeeting(f, turns: 14) { "Fichier \(f), réplique \($0) : on parle du planning et du budget de la salle." }
        }
        for (name, model) in models {
            try """
                name: remote-test
                seed: 11
                input: { paths: [\(workspace.input.path)] }
                normalize: { speakers: intervenant, casing: keep }
                chunk: { window: 72, reserve: 12, overlap_turns: 1 }
                model: \(model)
                steps:
                  - id: next
                    kind: complete-turn
                    template: "{{window}}\\n{{next_speaker}}"
                    generation: { max_new_tokens: 10, temperature: 1.0, top_k: 10, stop: ["\\n"], samples: 2 }
                  - id: greedy
                    kind: continuation
                    generation: { max_new_tokens: 6, greedy: true }
                output: { dir: \(workspace.output(name).path), format: jsonl }
                """.write(to: workspace.pipeline(name), atomically: true, encoding: .utf8)
        }
        made = true
        return workspace
    }

    static let engineModel = "{ path: \(ServerProcess.model.path), threads: 2 }"

    static func remoteModel(_ backend: String, _ url: String, extra: String = "") -> String {
        "{ backend: \(backend), url: \(url), tokenizer: \(ServerProcess.model.path), concurrency: 4\(extra) }"
    }

    /// Every output's records by relative path, without what legitimately differs (timings, model, remote).
    func records(_ directory: URL) throws -> [String: [String]] {
        try OutputRecords.read(directory, dropping: ["timings", "model", "remote"])
    }

    func run(_ pipeline: URL, environment: [String: String] = [:]) throws -> Executables.Result {
        let binary = try #require(Executables.clairePipeline)
        return try Executables.run(binary, ["run", pipeline.path])
    }

    @Test(arguments: ["tgi", "openai"])
    func remoteRunGivesTheInProcessRecords(backend: String) throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let workspace = try makeWorkspace(files: 2, models: ["engine": Self.engineModel, "remote": Self.remoteModel(backend, server.url)])
        defer { TemporaryFiles.remove(workspace.root) }
        let local = try run(workspace.pipeline("engine"))
        #expect(local.status == 0, "\(local.stderr)")
        let remote = try run(workspace.pipeline("remote"))
        #expect(remote.status == 0, "\(remote.stderr)")
        let expected = try records(workspace.output("engine"))
        #expect(expected.count == 4 && expected.values.allSatisfy { $0.count >= 2 })
        let got = try records(workspace.output("remote"))
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, lines) in expected { #expect(got[name] == lines, "\(name): the remote run differs from the in-process one") }
        // Records and manifest say where the text came from.
        let first = try String(contentsOf: workspace.output("remote").appendingPathComponent("next/meeting-0.txt.jsonl"), encoding: .utf8)
        let record = try #require(HTTP.json(Data(first.split(separator: "\n")[0].utf8)))
        #expect(record["remote"] as? [String: String] == ["backend": backend, "url": server.url])
        #expect(record["model"] as? String == "claire-tiny-fr.Q8_0")
        let manifest = try #require(HTTP.json(try Data(contentsOf: workspace.output("remote").appendingPathComponent("manifest.json"))))
        let model = try #require(manifest["model"] as? [String: Any])
        #expect(model["backend"] as? String == backend && model["url"] as? String == server.url)
    }

    @Test func aServerThatIsNotThereFailsClearlyAfterItsRetries() throws {
        let port = try LoopbackPort.free()
        let workspace = try makeWorkspace(files: 1, models: ["remote": Self.remoteModel("tgi", "http://127.0.0.1:\(port)", extra: ", retries: 1")])
        defer { TemporaryFiles.remove(workspace.root) }
        let result = try run(workspace.pipeline("remote"))
        #expect(result.status != 0)
        #expect(result.stderr.contains("did not answer /info after 2 tries"), "\(result.stderr)")
    }

    @Test func aServerWithAnotherTokenizerIsRefused() throws {
        let python = PythonClients.python ?? "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { print("no python3 for the stand-in server; skipped"); return }
        let stub = Process()
        stub.executableURL = URL(fileURLWithPath: python)
        stub.arguments = [PythonClients.directory.appendingPathComponent("other_model_server.py").path]
        let output = Pipe()
        stub.standardOutput = output
        try stub.run()
        defer { kill(stub.processIdentifier, SIGKILL); stub.waitUntilExit() }
        var line = ""
        while !line.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            line += String(decoding: data, as: UTF8.self)
        }
        let url = try #require(line.components(separatedBy: "listening on ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        let workspace = try makeWorkspace(files: 1, models: ["remote": Self.remoteModel("tgi", url)])
        defer { TemporaryFiles.remove(workspace.root) }
        let result = try run(workspace.pipeline("remote"))
        #expect(result.status != 0)
        #expect(result.stderr.contains("serves 'meta-llama/Llama-3.1-8B', which is not a Falcon or Claire model"), "\(result.stderr)")
        #expect(result.stderr.contains("model.check_tokenizer: false"))
    }

    /// The daemon feeding a server that is killed mid-run and restarted: the windows in flight are retried,
    /// and every output ends up once and complete, as the in-process daemon writes it.
    @Test func daemonSurvivesTheServerKilledAndRestarted() throws {
        let port = try LoopbackPort.free()
        let url = "http://127.0.0.1:\(port)"
        let workspace = try makeWorkspace(files: 3, models: ["engine": Self.engineModel, "remote": Self.remoteModel("tgi", url, extra: ", retries: 8")])
        defer { TemporaryFiles.remove(workspace.root) }
        let local = try run(workspace.pipeline("engine"))
        #expect(local.status == 0, "\(local.stderr)")
        let expected = try records(workspace.output("engine"))

        var server = try ServerProcess(port: port)
        let binary = try #require(Executables.clairePipeline)
        let daemon = Process()
        daemon.executableURL = binary
        daemon.arguments = ["daemon", workspace.pipeline("remote").path, "--every", "1s"]
        let log = workspace.root.appendingPathComponent("daemon.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: log)
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        // Kill the server once the first outputs are written, while the rest are in flight.
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline, try records(workspace.output("remote")).isEmpty { Thread.sleep(forTimeInterval: 0.02) }
        server.kill9()
        let doneWhenKilled = try records(workspace.output("remote")).count
        Thread.sleep(forTimeInterval: 2)
        server = try ServerProcess(port: port)
        defer { server.stop() }
        while Date() < deadline, try records(workspace.output("remote")).count < expected.count { Thread.sleep(forTimeInterval: 0.1) }
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(doneWhenKilled < expected.count, "the server must die while work remains")
        let got = try records(workspace.output("remote"))
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (name, lines) in expected { #expect(got[name] == lines, "\(name) differs from the in-process run") }
        #expect(try String(contentsOf: log, encoding: .utf8).contains("file failed") == false, "retries inside the backend covered the outage")
    }
}
