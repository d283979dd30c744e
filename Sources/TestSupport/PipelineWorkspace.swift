import Foundation

/// A scratch folder for tests that run `run` or `daemon` as real processes: generated meeting transcripts in
/// `in/`, a pipeline file and output folders beside them. The caller removes `root` (`TemporaryFiles.remove`).
public struct PipelineWorkspace: Sendable {
    public let root: URL
    public var input: URL { root.appendingPathComponent("in") }
    public var pipeline: URL { root.appendingPathComponent("pipeline.yaml") }
    public func output(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// An empty workspace (with its `in/` folder) under the temporary directory.
    public init(prefix: String) throws {
        root = try TemporaryFiles.makeDirectory(prefix: prefix)
        do {
            try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        } catch {
            TemporaryFiles.remove(root)
            throw error
        }
    }

    /// A two-speaker meeting in `in/meeting-<index>.txt` (or `name`), one `SPEAKER_0x:` line per turn.
    /// `age`: how long ago it was last modified, so that a daemon's settle time already counts it complete.
    @discardableResult
    public func writeMeeting(_ index: Int, turns: Int, name: String? = nil, age: TimeInterval? = nil,
                             line: (_ turn: Int) -> String) throws -> URL {
        let url = input.appendingPathComponent(name ?? "meeting-\(index).txt")
        let text = (0..<turns).map { "SPEAKER_0\($0 % 2): " + line($0) }.joined(separator: "\n") + "\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        if let age { try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: url.path) }
        return url
    }

    /// Writes `pipeline.yaml`: one complete-turn step (`next`) over the inputs, with the bundled model by
    /// default, small windows so that each file spans several, and `generation` as the step's mapping body.
    public func writeCompleteTurnPipeline(name: String, seed: Int, window: Int, speakers: String? = "intervenant",
                                          generation: String, output: URL, format: String = "jsonl",
                                          model: URL = PipelineWorkspace.bundledModel) throws {
        let normalize = speakers.map { "normalize: { speakers: \($0), casing: keep }\n" } ?? ""
        let overlap = speakers == nil ? "" : ", overlap_turns: 1"
        try """
            name: \(name)
            seed: \(seed)
            input: { paths: [\(input.path)] }
            \(normalize)chunk: { window: \(window), reserve: 12\(overlap) }
            model: { path: \(model.path), threads: 1 }
            steps:
              - id: next
                kind: complete-turn
                template: "{{window}}\\n{{next_speaker}}"
                generation: { \(generation) }
            output: { dir: \(output.path), format: \(format) }
            """.write(to: pipeline, atomically: true, encoding: .utf8)
    }

    public static let bundledModel = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf")

    /// Starts `claire-pipeline arguments…` without waiting: stdout discarded, stderr into `log` (a new file)
    /// or discarded.
    public func launch(_ arguments: [String], log: URL? = nil) throws -> Process {
        guard let binary = Executables.clairePipeline else { throw MissingBinary() }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        if let log {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    public struct MissingBinary: Error, CustomStringConvertible {
        public var description: String { "the claire-pipeline binary is not built beside the tests" }
    }
}

/// What two runs of a pipeline must agree on: each published `.jsonl` output's records, by relative path, with
/// the keys that legitimately differ removed (timings always) and the rest in a canonical order.
public enum OutputRecords {
    /// Staging files (`.tmp-*`, see `temporaries`) are not outputs: a running writer renames or removes them at
    /// any moment, so reading one while a daemon works raced with its rename.
    public static func read(_ directory: URL, dropping keys: [String] = ["timings"]) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let name = enumerator?.nextObject() as? String {
            guard name.hasSuffix(".jsonl"), !(name as NSString).lastPathComponent.hasPrefix(".tmp-") else { continue }
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            result[name] = try text.split(separator: "\n").map { line in
                guard var record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw NotARecord(file: name, line: String(line))
                }
                for key in keys { record[key] = nil }
                return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
            }
        }
        return result
    }

    /// Staging files (`.tmp-*`) left anywhere under `directory`: a torn write if any.
    public static func temporaries(_ directory: URL) -> [String] {
        (FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }
    }

    public struct NotARecord: Error, CustomStringConvertible {
        public let file: String, line: String
        public var description: String { "\(file): a line that is not a JSON object: \(line.prefix(200))" }
    }
}
