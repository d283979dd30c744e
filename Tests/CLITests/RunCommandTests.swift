import Foundation
import Testing
import TestSupport

/// `run` as a user runs it: the real binary, the bundled model, real files in a temporary folder.
struct RunCommandTests {
    static let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf")

    /// A new workspace in the temporary directory, for the caller to remove; removed here if making it fails.
    func workspace() throws -> URL {
        let root = try TemporaryFiles.makeDirectory(prefix: "run")
        var made = false
        defer { if !made { TemporaryFiles.remove(root) } }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("in"), withIntermediateDirectories: true)
        let pipeline = """
            name: test-run
            seed: 5
            input: { paths: [\(root.appendingPathComponent("in").path)] }
            normalize: { speakers: intervenant, casing: keep }
            chunk: { window: 96, reserve: 16, overlap_turns: 1 }
            model: { path: \(Self.model.path), threads: 2 }
            steps:
              - id: next
                kind: complete-turn
                template: "{{window}}\\n{{next_speaker}}"
                generation: { max_new_tokens: 6, temperature: 1.0, top_k: 10, stop: ["\\n"] }
            output: { dir: \(root.appendingPathComponent("out").path), format: jsonl+markdown }
            """
        try pipeline.write(to: root.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
        made = true
        return root
    }

    func run(_ root: URL, _ extra: [String] = []) throws -> Executables.Result {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        return try Executables.run(binary, ["run", root.appendingPathComponent("pipeline.yaml").path] + extra)
    }

    static let dialogue = (1...12).map { i in
        "SPEAKER_0\(i % 3): Voici la réplique numéro \(i), assez longue pour remplir une fenêtre de quatre-vingts jetons très vite."
    }.joined(separator: "\n") + "\n"

    @Test func writesOneRecordPerWindowAndAManifest() throws {
        let root = try workspace()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.dialogue.write(to: root.appendingPathComponent("in/meeting.txt"), atomically: true, encoding: .utf8)
        let result = try run(root)
        #expect(result.status == 0, "\(result.stderr)")
        let jsonl = try String(contentsOf: root.appendingPathComponent("out/next/meeting.txt.jsonl"), encoding: .utf8)
        let records = try jsonl.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.count >= 2, "the dialogue does not fit one 80-token window")
        for (index, record) in records.enumerated() {
            #expect(record["window"] as? Int == index && record["step"] as? String == "next")
            #expect(record["source"] as? String == root.appendingPathComponent("in/meeting.txt").path)
            #expect((record["prompt_tokens"] as? Int ?? 0) > 0 && (record["prompt_tokens"] as? Int ?? 999) <= 96)
            #expect(["eos", "stop", "max_tokens", "context"].contains(record["stop_reason"] as? String ?? ""))
            #expect(record["seed"] != nil && record["timings"] != nil && record["model"] as? String == Self.model.path)
        }
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("out/next/meeting.txt.md").path))
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("out/manifest.json"))) as? [String: Any])
        let pipelineFacts = try #require(manifest["pipeline"] as? [String: Any]), modelFacts = try #require(manifest["model"] as? [String: Any])
        #expect((pipelineFacts["sha256"] as? String)?.count == 64 && (modelFacts["sha256"] as? String)?.count == 64)
        #expect((manifest["files"] as? [[String: Any]])?.count == 1)

        // A rerun reproduces the same texts (seeds derive from the pipeline seed and the window identity).
        let again = try run(root)
        #expect(again.status == 0)
        let rerun = try String(contentsOf: root.appendingPathComponent("out/next/meeting.txt.jsonl"), encoding: .utf8)
        let texts = { (s: String) in try s.split(separator: "\n").map { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["text"] as? String } }
        #expect(try texts(rerun) == texts(jsonl))
    }

    @Test func aBadFileIsReportedAndTheOthersStillRun() throws {
        let root = try workspace()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.dialogue.write(to: root.appendingPathComponent("in/good.txt"), atomically: true, encoding: .utf8)
        try Data([0x53, 0x3A, 0x20, 0xC3, 0x28, 0x0A]).write(to: root.appendingPathComponent("in/bad.txt"))
        let result = try run(root)
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.txt"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("out/next/good.txt.jsonl").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out/next/bad.txt.jsonl").path))
    }
}
