import Foundation
import Pipelines
import RemoteBackends

/// Chooses what generates for a pipeline: the in-process engine (`model.path`), or a TGI / OpenAI-compatible
/// server (`model.backend`), whose windows are still counted with Falcon's tokenizer read from `model.tokenizer`
/// (or `model.path`).
enum PipelineGenerator {
    static func open(for spec: PipelineSpec) throws -> (generator: TextGenerating, preparer: TranscriptPreparer, countTokens: (String) -> Int) {
        guard let remote = spec.model.remote else {
            let (engine, preparer) = try PipelineModel.open(for: spec)
            return (engine, preparer, engine.countTokens)
        }
        let tokenizer = try TokenizerLocator.load(path: spec.model.path)
        let generator = try RemoteTextGenerator(spec: remote, countTokens: tokenizer.count)
        try generator.checkServer(localVocabularySize: tokenizer.vocabularySize)
        if let context = generator.contextLength, spec.chunk.window > context {
            throw CLIError("\(spec.file): chunk.window \(spec.chunk.window) is longer than the context of \(generator.modelName) at \(remote.url) (\(context) tokens); set chunk.window to \(context) or less")
        }
        return (generator, TranscriptPreparer(tokenizer: tokenizer), tokenizer.count)
    }
}
