import Foundation
import Testing
import TestSupport

/// `run --batch N` as a user runs it: several files, two steps sharing each window, several samples per
/// window. The records must be the same whatever the batch (timings aside), and the Markdown identical.
struct BatchRunTests {
    static let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf")

    func workspace() throws -> URL {
        let root = try TemporaryFiles.makeDirectory(prefix: "batch-run")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("in"), withIntermediateDirectories: true)
        let pipeline = """
            name: batch-run
            seed: 11
            input: { paths: [\(root.appendingPathComponent("in").path)] }
            chunk: { window: 120, reserve: 24, overlap_turns: 1 }
            model: { path: \(Self.model.path), threads: 2 }
            steps:
              - id: continue
                kind: continuation
                template: "{{window}}\\n"
                generation: { max_new_tokens: 12, samples: 3 }
              - id: next
                kind: complete-turn
                template: "{{window}}\\n{{next_speaker}}"
                generation: { max_new_tokens: 10, stop: ["\\n"], temperature: 0.8 }
            output: { dir: \(root.appendingPathComponent("out").path), format: jsonl+markdown }
            """
        try pipeline.write(to: root.appendingPathComponent("pipeline.yaml"), atomically: true, encoding: .utf8)
        for file in 1...3 {
            let dialogue = (1...(6 * file)).map { i in
                "SPEAKER_0\(i % 2): Dans le fichier \(file), la réplique \(i) parle du budget, de la réunion et de la suite du projet."
            }.joined(separator: "\n") + "\n"
            try dialogue.write(to: root.appendingPathComponent("in/meeting-\(file).txt"), atomically: true, encoding: .utf8)
        }
        return root
    }

    /// Every output file's records without their timings, and the Markdown as is, by relative path.
    func outputs(_ directory: URL) throws -> [String: String] {
        var found: [String: String] = [:]
        let enumerator = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil))
        for case let url as URL in enumerator where ["jsonl", "md"].contains(url.pathExtension) {
            let relative = String(url.path.dropFirst(directory.path.count))
            let text = try String(contentsOf: url, encoding: .utf8)
            if url.pathExtension == "md" {
                found[relative] = text
                continue
            }
            found[relative] = try text.split(separator: "\n").map { line in
                var record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                record["timings"] = nil
                return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
            }.joined(separator: "\n")
        }
        return found
    }

    @Test func theBatchSizeDoesNotChangeTheOutputs() throws {
        let root = try workspace()
        defer { TemporaryFiles.remove(root) }
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        var seen: [Int: [String: String]] = [:]
        for batch in [1, 8] {
            let out = root.appendingPathComponent("out-\(batch)")
            let result = try Executables.run(binary, ["run", root.appendingPathComponent("pipeline.yaml").path, "--batch", "\(batch)", "--output", out.path])
            #expect(result.status == 0, "\(result.stderr)")
            seen[batch] = try outputs(out)
        }
        let one = try #require(seen[1]), eight = try #require(seen[8])
        // 3 files × 2 steps, JSON lines and Markdown each.
        #expect(one.count == 12, "\(one.keys.sorted())")
        #expect(one == eight)
        // Three samples of each window, with different seeds, in order.
        let continuation = try #require(one.first { $0.key.hasSuffix("continue/meeting-2.txt.jsonl") }?.value)
        let records = try continuation.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.count >= 3 && records.count % 3 == 0)
        #expect(records.prefix(3).map { $0["sample"] as? Int } == [0, 1, 2])
        #expect(Set(records.prefix(3).compactMap { ($0["seed"] as? NSNumber)?.uint64Value }).count == 3)
    }
}
