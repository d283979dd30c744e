import Foundation

/// `manifest.json` beside a run's outputs: which pipeline (the SHA-256 of its file, and the identity the daemon
/// keys its ledger on), which model (and the SHA-256 of its files), which versions, and what happened to each
/// input. Written atomically after the run.
public struct RunManifest {
    public static let version = "0.1.0"

    public var pipelineName: String
    public var identity: PipelineIdentity
    public var model: String
    /// The server that generated, when not the in-process engine (`model` is then where the tokenizer came from).
    public var remote: RemoteModelSpec?
    public var started: Date
    public var finished: Date
    public var files: [PipelineRun.FileOutcome]

    public init(pipelineName: String, identity: PipelineIdentity, model: String, started: Date, finished: Date, files: [PipelineRun.FileOutcome]) {
        self.pipelineName = pipelineName
        self.identity = identity
        self.model = model
        self.started = started
        self.finished = finished
        self.files = files
    }

    public func write(to url: URL) throws {
        let formatter = ISO8601DateFormatter()
        var modelEntry: [String: Any] = ["path": model, "sha256": identity.modelHash]
        if let remote {
            modelEntry["backend"] = remote.backend.rawValue
            modelEntry["url"] = remote.url
        }
        let object: [String: Any] = [
            "pipeline": ["name": pipelineName, "file": identity.pipelineFile, "sha256": identity.fileHash, "identity": identity.hash],
            "model": modelEntry,
            "versions": ["claire-pipeline": Self.version, "manifest": 1],
            "started": formatter.string(from: started), "finished": formatter.string(from: finished),
            "files": files.map { file -> [String: Any] in
                var entry: [String: Any] = ["source": file.source, "outputs": file.outputs]
                if let error = file.error { entry["error"] = error }
                return entry
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try AtomicFile.write(data + Data("\n".utf8), to: url)
    }
}
