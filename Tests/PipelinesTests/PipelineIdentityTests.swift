import Foundation
import Logging
import Testing
import TestSupport
@testable import Pipelines

/// `run` and the daemon describe the same work with the same `PipelineIdentity`.
struct PipelineIdentityTests {
    static let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf").path

    func writePipeline(in root: URL) throws -> URL {
        let yaml = root.appendingPathComponent("p.yaml")
        try """
            name: identity
            input: { paths: [\(root.appendingPathComponent("in").path)] }
            model: { path: \(Self.model), threads: 1 }
            steps:
              - { id: next, kind: continuation }
            output: { dir: \(root.appendingPathComponent("out").path) }
            """.write(to: yaml, atomically: true, encoding: .utf8)
        return yaml
    }

    @Test func theIdentityCoversTheFileAndWhatTheCommandLineReplaced() throws {
        let root = try temporaryDirectory()
        defer { TemporaryFiles.remove(root) }
        let yaml = try writePipeline(in: root)
        var spec = try PipelineLoader.load(path: yaml.path)
        let bytes = try Data(contentsOf: yaml)
        let identity = try PipelineIdentity(spec: spec)
        #expect(identity.fileHash == ContentHash.hex(bytes))
        // Ledgers written before keyed on exactly this text; a different one would redo every file.
        let keyed = bytes + Data("\n# model=\(Self.model) input=[\"\(root.appendingPathComponent("in").path)\"] output=\(root.appendingPathComponent("out").path)".utf8)
        #expect(identity.hash == ContentHash.hex(keyed))
        #expect(identity.modelHash == (try ContentHash.hex(ofFile: Self.model)))
        spec.output.dir = root.appendingPathComponent("elsewhere").path
        let moved = try PipelineIdentity(spec: spec)
        #expect(moved.fileHash == identity.fileHash && moved.hash != identity.hash)
    }

    @Test func theDaemonKeepsTheModelHashInItsLedger() throws {
        let root = try temporaryDirectory()
        defer { TemporaryFiles.remove(root) }
        let spec = try PipelineLoader.load(path: try writePipeline(in: root).path)
        let ledger = try SQLiteLedger(path: root.appendingPathComponent("state.sqlite").path)
        let daemon = try Daemon(spec: spec, schedule: nil, ledger: ledger, lock: nil, logger: Logger(label: "test")) { spec in
            let (engine, preparer) = try PipelineModel.open(for: spec)
            return PipelineRunner(spec: spec, generator: engine, preparer: preparer, logger: Logger(label: "test"))
        }
        #expect(try ledger.storedHash(for: FileStamp(path: Self.model)) == daemon.identity.modelHash)
        // A stamp that no longer matches (the model rewritten) is not answered from the ledger.
        var stale = try FileStamp(path: Self.model)
        stale.modifiedNanoseconds += 1
        #expect(try ledger.storedHash(for: stale) == nil)
        // A fresh process (a new cache) takes the hash from the ledger without reading the model.
        let cache = FileHashCache()
        #expect(try cache.hex(ofFile: Self.model, store: ledger) == daemon.identity.modelHash)
        #expect(cache.filesRead == 0)
    }
}
