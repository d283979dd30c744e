import Foundation
import Logging
import Testing
import TestSupport
@testable import Pipelines

/// Faults created for real around the outputs, the inputs and the ledger, in process: a full tmpfs, a
/// read-only one, link loops, FIFOs, a file still growing, a file changed while its windows are generated.
/// (`CLITests/DaemonFaultTests` does the same through the real daemon process.)
@Suite(.serialized) struct FaultTests {
    static let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf").path

    // MARK: Outputs

    @Test(.enabled(if: ScratchMount.isAvailable, "mounting a tmpfs needs root"))
    func outputSetOnAFullDiskWritesNothingAndKeepsThePreviousSet() throws {
        let disk = try ScratchMount(bytes: 64 << 10)
        defer { disk.unmount() }
        let jsonl = disk.directory.appendingPathComponent("next/a.txt.jsonl"), markdown = disk.directory.appendingPathComponent("next/a.txt.md")
        var first = OutputSet()
        first.add(Data("old records\n".utf8), to: jsonl)
        first.add(Data("old markdown\n".utf8), to: markdown)
        try first.commit()
        // Room for two pages: the small .jsonl fits, the large .md does not.
        let room = try disk.fill()
        disk.free()
        try Data(repeating: 1, count: max(0, room - 8192)).write(to: disk.directory.appendingPathComponent("filler"))
        var second = OutputSet()
        second.add(Data("new records\n".utf8), to: jsonl)
        second.add(Data(repeating: UInt8(ascii: "m"), count: 64 << 10), to: markdown)
        #expect { try second.commit() } throws: { "\($0)".contains("a.txt.md") && "\($0)".contains("No space left on device") }
        #expect(try String(contentsOf: jsonl, encoding: .utf8) == "old records\n", "the .jsonl is not replaced without its .md")
        #expect(try String(contentsOf: markdown, encoding: .utf8) == "old markdown\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: jsonl.deletingLastPathComponent().path).sorted() == ["a.txt.jsonl", "a.txt.md"],
                "no temporary is left behind")
    }

    @Test(.enabled(if: ScratchMount.isAvailable, "mounting a tmpfs needs root"))
    func outputSetOnAReadOnlyFileSystemNamesTheFolder() throws {
        let disk = try ScratchMount(bytes: 64 << 10)
        defer { disk.unmount() }
        try FileManager.default.createDirectory(at: disk.directory.appendingPathComponent("next"), withIntermediateDirectories: true)
        try disk.remountReadOnly()
        var set = OutputSet()
        set.add(Data("x\n".utf8), to: disk.directory.appendingPathComponent("next/a.txt.jsonl"))
        #expect { try set.commit() } throws: { "\($0)".contains("next/a.txt.jsonl") && "\($0)".contains("Read-only file system") }
        var nested = OutputSet()
        nested.add(Data("x\n".utf8), to: disk.directory.appendingPathComponent("other/a.txt.jsonl"))
        #expect { try nested.commit() } throws: { "\($0)".contains("cannot create the output directory") && "\($0)".contains("Read-only file system") }
    }

    // MARK: Inputs

    @Test func folderLinksAreFollowedAndLoopsDanglingLinksAndFIFOsAreReported() throws {
        let root = try TemporaryFiles.makeDirectory(prefix: "claire-links")
        defer { TemporaryFiles.remove(root) }
        let input = root.appendingPathComponent("in"), elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try "A: a\n".write(to: input.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try "A: b\n".write(to: elsewhere.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: input.appendingPathComponent("linked").path, withDestinationPath: elsewhere.path)
        try FileManager.default.createSymbolicLink(atPath: input.appendingPathComponent("sub/up").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: input.appendingPathComponent("gone.txt").path, withDestinationPath: root.appendingPathComponent("nothing.txt").path)
        try FileManager.default.createSymbolicLink(atPath: input.appendingPathComponent("self.txt").path, withDestinationPath: "self.txt")
        #expect(mkfifo(input.appendingPathComponent("pipe.txt").path, 0o644) == 0)

        let files = try InputEnumerator.files(in: [input.path])
        let byName = Dictionary(uniqueKeysWithValues: files.map { ($0.relative, $0.problem) })
        #expect(byName.keys.sorted() == ["a.txt", "gone.txt", "linked/b.txt", "pipe.txt", "self.txt", "sub/up"])
        #expect(byName["a.txt"]! == nil && byName["linked/b.txt"]! == nil, "a link to a folder elsewhere is followed")
        #expect(byName["sub/up"]??.contains("loop") == true)
        #expect(byName["gone.txt"]??.contains("dangling symbolic link") == true)
        #expect(byName["self.txt"]??.contains("loop") == true)
        #expect(byName["pipe.txt"]??.contains("a FIFO") == true)
        // Reading a FIFO would wait for a writer forever: both readers refuse it at once.
        let pipe = input.appendingPathComponent("pipe.txt").path
        #expect { try ContentHash.hex(ofFile: pipe) } throws: { "\($0)".contains("not a regular file") }
    }

    // MARK: The daemon's cycle

    struct Setup {
        let root: URL
        let input: URL
        let output: URL
        let spec: PipelineSpec
        let ledger: SQLiteLedger
        let engine: EngineTextGenerator

        init(markdown: Bool = true) throws {
            root = try TemporaryFiles.makeDirectory(prefix: "claire-faults")
            input = root.appendingPathComponent("in")
            output = root.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
            let yaml = root.appendingPathComponent("p.yaml")
            try """
                name: faults
                input: { paths: [\(input.path)] }
                chunk: { window: 96, reserve: 16 }
                model: { path: \(FaultTests.model), threads: 1 }
                steps:
                  - { id: next, kind: continuation, template: "{{window}}\\n", generation: { max_new_tokens: 3 } }
                output: { dir: \(output.path), format: jsonl, markdown: \(markdown) }
                """.write(to: yaml, atomically: true, encoding: .utf8)
            spec = try PipelineLoader.load(path: yaml.path)
            ledger = try SQLiteLedger(path: root.appendingPathComponent("state.sqlite").path, backoff: .init(initial: 60, maximum: 3600))
            engine = try EngineTextGenerator(path: FaultTests.model, threads: 1)
        }

        func cycle(generator: TextGenerating? = nil, settling: InputSettling = InputSettling(quiet: 0.5, limit: 30)) -> DaemonCycle {
            let runner = PipelineRunner(spec: spec, output: output.path, generator: generator ?? engine,
                                        preparer: TranscriptPreparer(tokenizer: engine.falconTokenizer), logger: Logger(label: "test"))
            return DaemonCycle(spec: spec, pipelineHash: "p", modelHash: "m", runner: runner, ledger: ledger, logger: Logger(label: "test"),
                               settling: settling)
        }

        static func dialogue(_ lines: Int, tag: String = "") -> String {
            (0..<lines).map { "SPEAKER_0\($0 % 2): Réplique \($0)\(tag), on parle du budget de la salle." }.joined(separator: "\n") + "\n"
        }
    }

    @Test func aFileStillBeingWrittenIsProcessedOnceWhenItHasSettled() throws {
        let setup = try Setup()
        defer { TemporaryFiles.remove(setup.root) }
        let path = setup.input.appendingPathComponent("growing.txt")
        let full = Setup.dialogue(12)
        let lines = full.split(separator: "\n", omittingEmptySubsequences: false)
        try "".write(to: path, atomically: false, encoding: .utf8)
        // A recorder appending a line every 0.15 s for about 2 s, while the cycle starts.
        let writer = Thread {
            let handle = try! FileHandle(forWritingTo: path)
            for line in lines where !line.isEmpty {
                handle.seekToEndOfFile()
                handle.write(Data((line + "\n").utf8))
                Thread.sleep(forTimeInterval: 0.15)
            }
            try! handle.close()
        }
        writer.start()
        Thread.sleep(forTimeInterval: 0.05)
        let cycle = setup.cycle()
        let first = try cycle.run(stop: StopFlag())
        #expect(first.processed == 1 && first.failed == 0 && first.deferred == 0)
        let entry = try #require(try setup.ledger.entry(pipeline: "faults", source: path.path))
        #expect(entry.contentHash == ContentHash.hex(Array(full.utf8)), "what was processed is the complete file")
        let second = try cycle.run(stop: StopFlag())
        #expect(second.upToDate == 1 && second.processed == 0, "processed once, not once per cycle while it grew")
    }

    /// Truncates the input between two windows of its processing: what was read is no longer what is on disk.
    final class TruncatingGenerator: TextGenerating {
        let inner: EngineTextGenerator
        let victim: URL
        var truncated = false
        init(inner: EngineTextGenerator, victim: URL) { self.inner = inner; self.victim = victim }
        var modelName: String { inner.modelName }
        var concurrency: Int { inner.concurrency }
        func run(next: () throws -> GenerationJob?, finished: (GenerationJob, Result<StepGeneration, Error>) throws -> Void) throws {
            try inner.run(next: next, finished: { job, result in
                if !truncated {
                    truncated = true
                    let handle = try FileHandle(forWritingTo: victim)
                    try handle.truncate(atOffset: 40)
                    try handle.close()
                }
                try finished(job, result)
            })
        }
    }

    @Test func aFileTruncatedWhileBeingProcessedIsRedoneNotRecorded() throws {
        let setup = try Setup()
        defer { TemporaryFiles.remove(setup.root) }
        let path = setup.input.appendingPathComponent("victim.txt")
        try Setup.dialogue(10).write(to: path, atomically: true, encoding: .utf8)
        let old = Date(timeIntervalSinceNow: -60)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path.path)
        let generator = TruncatingGenerator(inner: setup.engine, victim: path)
        let first = try setup.cycle(generator: generator).run(stop: StopFlag())
        #expect(generator.truncated)
        #expect(first.processed == 0 && first.deferred == 1)
        #expect(try setup.ledger.entry(pipeline: "faults", source: path.path) == nil, "outputs of content that changed are not recorded as done")
        // The next cycle reads the file as it now is, and records that.
        Thread.sleep(forTimeInterval: 0.6)
        let second = try setup.cycle().run(stop: StopFlag())
        #expect(second.processed == 1)
        let entry = try #require(try setup.ledger.entry(pipeline: "faults", source: path.path))
        #expect(entry.contentHash == (try ContentHash.hex(ofFile: path.path)))
        let records = try String(contentsOf: setup.output.appendingPathComponent("next/victim.txt.jsonl"), encoding: .utf8)
        #expect(records.split(separator: "\n").count == 1, "the truncated file is one window: its outputs replaced the longer file's")
        #expect(FileManager.default.fileExists(atPath: setup.output.appendingPathComponent("next/victim.txt.md").path))
    }

    @Test func runReportsLinkProblemsAsFailedInputs() throws {
        let setup = try Setup()
        defer { TemporaryFiles.remove(setup.root) }
        try Setup.dialogue(4).write(to: setup.input.appendingPathComponent("good.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: setup.input.appendingPathComponent("gone.txt").path, withDestinationPath: "nowhere.txt")
        try FileManager.default.createSymbolicLink(atPath: setup.input.appendingPathComponent("loop").path, withDestinationPath: ".")
        let runner = PipelineRunner(spec: setup.spec, output: setup.output.path, generator: setup.engine,
                                    preparer: TranscriptPreparer(tokenizer: setup.engine.falconTokenizer), logger: Logger(label: "test"))
        let report = try PipelineRun(runner: runner).run()
        #expect(report.files.count == 3)
        #expect(report.failures.map { ($0.source as NSString).lastPathComponent }.sorted() == ["gone.txt", "loop"])
        #expect(report.failures.allSatisfy { $0.outputs.isEmpty })
        #expect(report.failures.contains { $0.error?.contains("dangling symbolic link") == true })
        #expect(report.failures.contains { $0.error?.contains("a loop, not followed") == true })
    }

    @Test func anUnreadableInputIsRecordedAndWaitsForItsRetry() throws {
        let setup = try Setup()
        defer { TemporaryFiles.remove(setup.root) }
        try Setup.dialogue(4).write(to: setup.input.appendingPathComponent("good.txt"), atomically: true, encoding: .utf8)
        let pipe = setup.input.appendingPathComponent("pipe.txt"), dangling = setup.input.appendingPathComponent("gone.txt")
        #expect(mkfifo(pipe.path, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: setup.root.appendingPathComponent("missing.txt").path)
        Thread.sleep(forTimeInterval: 0.6)
        var clock = Date()
        let cycle = setup.cycle()
        let first = try cycle.run(stop: StopFlag(), now: { clock })
        #expect(first.processed == 1 && first.failed == 2)
        for (path, words) in [(pipe, "not a regular file"), (dangling, "dangling symbolic link")] {
            let entry = try #require(try setup.ledger.entry(pipeline: "faults", source: path.path))
            #expect(entry.status == .failed && entry.attempts == 1 && entry.lastError?.contains(words) == true, "\(entry)")
        }
        clock += 30
        let second = try cycle.run(stop: StopFlag(), now: { clock })
        #expect(second.waiting == 2 && second.failed == 0 && second.upToDate == 1, "not retried on every cycle")
        clock += 31
        let third = try cycle.run(stop: StopFlag(), now: { clock })
        #expect(third.failed == 2)
        #expect(try setup.ledger.entry(pipeline: "faults", source: pipe.path)?.attempts == 2, "due: tried again, and the backoff grows")
        // The link repaired: read at once, whatever its retry time.
        try Setup.dialogue(3).write(to: setup.root.appendingPathComponent("missing.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: setup.root.appendingPathComponent("missing.txt").path)
        let fourth = try cycle.run(stop: StopFlag(), now: { clock })
        #expect(fourth.processed == 1 && fourth.waiting == 1)
        #expect(try setup.ledger.entry(pipeline: "faults", source: dangling.path)?.status == .done)
    }
}
