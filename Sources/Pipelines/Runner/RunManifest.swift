import Foundation

/// `manifest.json` beside a run's outputs: which pipeline (and its SHA-256), which model (and the SHA-256 of its
/// files), which versions, and what happened to each input. Written atomically after the run.
public struct RunManifest {
    public static let version = "0.1.0"

    public var pipelineName: String
    public var pipelineFile: String
    public var pipelineHash: String
    public var model: String
    public var modelHash: String
    public var started: Date
    public var finished: Date
    public var files: [(source: String, outputs: [String], error: String?)]

    public init(pipelineName: String, pipelineFile: String, pipelineHash: String, model: String, modelHash: String,
                started: Date, finished: Date, files: [(source: String, outputs: [String], error: String?)]) {
        self.pipelineName = pipelineName
        self.pipelineFile = pipelineFile
        self.pipelineHash = pipelineHash
        self.model = model
        self.modelHash = modelHash
        self.started = started
        self.finished = finished
        self.files = files
    }

    public func write(to url: URL) throws {
        let formatter = ISO8601DateFormatter()
        let object: [String: Any] = [
            "pipeline": ["name": pipelineName, "file": pipelineFile, "sha256": pipelineHash],
            "model": ["path": model, "sha256": modelHash],
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
