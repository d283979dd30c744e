import Foundation

/// What a run's outputs depend on besides the inputs, as hashes: the pipeline and the model. `run` writes it
/// into the manifest and the daemon keys its ledger on it, so both say the same thing about the same work.
public struct PipelineIdentity: Sendable, Equatable {
    /// The pipeline file as loaded.
    public var pipelineFile: String
    /// SHA-256 of the pipeline file's bytes (what `sha256sum` prints for it).
    public var fileHash: String
    /// SHA-256 of the pipeline file followed by what the command line replaced (model, inputs, output): the
    /// same file run with `--model` elsewhere is other work. The ledger's pipeline hash.
    public var hash: String
    /// SHA-256 of the model's files (`ContentHash.hex(ofTree:)`).
    public var modelHash: String

    /// `store` keeps the model's hash across processes (the daemon's ledger); it is read once per process anyway.
    public init(spec: PipelineSpec, models: FileHashCache = .process, store: StoredFileHashes? = nil) throws {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: spec.file))
        } catch {
            throw OutputError("\(spec.file): cannot read the pipeline file to hash it (\(error.localizedDescription))")
        }
        pipelineFile = spec.file
        fileHash = ContentHash.hex(bytes)
        // This exact text keys existing ledgers: changing it would make every daemon redo every file.
        hash = ContentHash.hex(bytes + Data("\n# model=\(spec.model.path) input=\(spec.input.paths) output=\(spec.output.dir)".utf8))
        // A remote backend's outputs depend on the server, not on the local tokenizer file alone: its kind and URL
        // join the hash (the in-process engine's hash is unchanged, so existing ledgers stay valid).
        let tree = try ContentHash.hex(ofTree: spec.model.path, cache: models, store: store)
        if let remote = spec.model.remote {
            modelHash = ContentHash.hex(Data("\(tree)\n# backend=\(remote.backend.rawValue) url=\(remote.url)".utf8))
        } else {
            modelHash = tree
        }
    }
}
