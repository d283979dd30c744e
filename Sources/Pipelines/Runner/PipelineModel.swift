import Foundation

/// Opens the model a pipeline names, once, for every window of a run or a daemon's life.
public enum PipelineModel {
    /// The engine (quantized on load if the pipeline asks) and a preparer counting with its tokenizer. A window
    /// longer than the model's context would only fail at the first long prompt, so it is refused here.
    public static func open(for spec: PipelineSpec) throws -> (EngineTextGenerator, TranscriptPreparer) {
        let engine = try EngineTextGenerator(path: spec.model.path, threads: spec.model.threads, quantize: spec.model.quantize,
                                             batch: spec.model.batch)
        try checkWindow(spec, contextLength: engine.contextLength)
        return (engine, TranscriptPreparer(tokenizer: engine.falconTokenizer))
    }

    static func checkWindow(_ spec: PipelineSpec, contextLength: Int) throws {
        guard spec.chunk.window <= contextLength else {
            throw OutputError("\(spec.file): chunk.window \(spec.chunk.window) is longer than the context of \(spec.model.path) (\(contextLength) tokens); set chunk.window to \(contextLength) or less")
        }
    }
}
