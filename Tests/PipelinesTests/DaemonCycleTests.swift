import Foundation
import Logging
import Testing
import TestSupport
@testable import Pipelines

/// One daemon cycle after another on real files, the real engine and a real SQLite ledger.
struct DaemonCycleTests {
    @Test func newChangedFailedAndRetriedFiles() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cycle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("in"), output = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try "A: Bonjour, tu vas bien ?\nB: Oui, et toi ?\nA: Très bien.\n".write(to: input.appendingPathComponent("good.txt"), atomically: true, encoding: .utf8)
        try Data([0x41, 0x3A, 0x20, 0xFF, 0x0A]).write(to: input.appendingPathComponent("bad.txt"))
        let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf").path
        let yaml = root.appendingPathComponent("p.yaml")
        try """
            name: cycle
            input: { paths: [\(input.path)] }
            chunk: { window: 256, reserve: 16 }
            model: { path: \(model) }
            steps:
              - { id: next, kind: continuation, template: "{{window}}\\n", generation: { max_new_tokens: 4 } }
            output: { dir: \(output.path), format: jsonl }
            """.write(to: yaml, atomically: true, encoding: .utf8)
        let spec = try PipelineLoader.load(path: yaml.path)
        let engine = try EngineTextGenerator(path: model, threads: 1)
        let logger = Logger(label: "test")
        let runner = PipelineRunner(spec: spec, output: output.path, generator: engine, preparer: TranscriptPreparer(tokenizer: engine.falconTokenizer), logger: logger)
        let ledger = try SQLiteLedger(path: root.appendingPathComponent("state.sqlite").path, backoff: .init(initial: 60, maximum: 3600))
        let cycle = DaemonCycle(spec: spec, pipelineHash: "p1", modelHash: "m1", runner: runner, ledger: ledger, logger: logger)
        var clock = Date(timeIntervalSince1970: 1_000_000)
        let stop = StopFlag()

        let first = try cycle.run(stop: stop, now: { clock })
        #expect(first.processed == 1 && first.failed == 1)
        #expect(try ledger.entry(pipeline: "cycle", source: input.appendingPathComponent("bad.txt").path)?.lastError?.contains("byte 3") == true)

        clock += 30
        let second = try cycle.run(stop: stop, now: { clock })
        #expect(second.upToDate == 1 && second.waiting == 1 && second.processed == 0, "the bad file waits for its retry; the good one is done")

        clock += 61
        try "A: Bonjour !\nB: Salut.\n".write(to: input.appendingPathComponent("bad.txt"), atomically: true, encoding: .utf8)
        let third = try cycle.run(stop: stop, now: { clock })
        #expect(third.processed == 1 && third.upToDate == 1 && third.failed == 0, "fixed and due: processed")

        try "A: Autre chose.\nB: D'accord.\n".write(to: input.appendingPathComponent("good.txt"), atomically: true, encoding: .utf8)
        let fourth = try cycle.run(stop: stop, now: { clock })
        #expect(fourth.processed == 1 && fourth.upToDate == 1, "only the changed file")
    }
}
