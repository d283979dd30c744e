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
        modelHash = try ContentHash.hex(ofTree: spec.model.path, cache: models, store: store)
    }
}
