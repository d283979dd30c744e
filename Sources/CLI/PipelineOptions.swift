import ArgumentParser
import Foundation
import Engine
import Pipelines

/// The pipeline file and the options that replace parts of it, shared by `run` and `daemon`.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline YAML file.")
    var pipeline: String

    @Option(help: "Input file or folder (repeatable); replaces the pipeline's input paths.")
    var input: [String] = []

    @Option(help: "Output folder; replaces the pipeline's output dir.")
    var output: String?

    @Option(help: "Model path; replaces the pipeline's model path.")
    var model: String?

    @Option(help: ArgumentHelp("Sequences generated together; replaces the pipeline's model.batch.",
                               discussion: "Default: \(BatchSizing.defaultDescription). Outputs do not depend on it."))
    var batch: Int?

    func validate() throws {
        if let batch, !(1...256).contains(batch) { throw ValidationError("--batch must be between 1 and 256") }
    }

    /// The pipeline with the command line's replacements applied.
    func loadSpec() throws -> PipelineSpec {
        var spec = try PipelineLoader.load(path: pipeline, checkModelExists: model == nil)
        if let model { spec.model.path = model }
        if !input.isEmpty { spec.input.paths = input }
        if let output { spec.output.dir = output }
        if let batch { spec.model.batch = batch }
        return spec
    }
}
