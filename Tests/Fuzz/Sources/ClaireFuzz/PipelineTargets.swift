import Foundation
import Pipelines

/// A pipeline file through the YAML reader, the spec decoder and the template checks (`validate`).
let pipelineTargets: [FuzzTarget] = [
    FuzzTarget(name: "pipeline-yaml") { input in
        let path = Scratch.write(input, as: "pipeline.yaml")
        _ = try PipelineLoader.load(path: path, checkModelExists: false)
    },
]
