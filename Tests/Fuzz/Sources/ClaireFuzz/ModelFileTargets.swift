import Engine
import Foundation
import ModelFiles

/// GGUF and Hugging Face checkpoints, opened the way `--model` opens them, then loaded by the engine (which
/// checks every shape against the configuration before the first product).
let modelFileTargets: [FuzzTarget] = [
    FuzzTarget(name: "gguf") { input in
        let path = Scratch.write(input, as: "model.gguf")
        let opened = try OpenedModel.open(path: path)
        _ = try FalconModel(opened, threads: 1)
    },
    FuzzTarget(name: "safetensors") { input in
        // The fuzzed file is the only shard of a folder whose config.json matches the seed models.
        let folder = Scratch.folder("safetensors")
        try FuzzSeeds.randomConfigJSON.write(to: URL(fileURLWithPath: "\(folder)/config.json"))
        try input.write(to: URL(fileURLWithPath: "\(folder)/model.safetensors"))
        let opened = try OpenedModel.open(path: folder)
        _ = try FalconModel(opened, threads: 1)
    },
    FuzzTarget(name: "safetensors-index") { input in
        // The fuzzed file is the index; the shard it should name is a valid one.
        let folder = Scratch.folder("index")
        try FuzzSeeds.randomConfigJSON.write(to: URL(fileURLWithPath: "\(folder)/config.json"))
        try FuzzSeeds.randomShard.write(to: URL(fileURLWithPath: "\(folder)/model-00001-of-00001.safetensors"))
        try input.write(to: URL(fileURLWithPath: "\(folder)/model.safetensors.index.json"))
        _ = try SafetensorsCheckpoint(path: folder)
    },
    FuzzTarget(name: "gptq-config") { input in
        // A GPTQ folder's config.json (its quantization_config), read as `--model` reads it.
        let folder = Scratch.folder("gptq")
        try input.write(to: URL(fileURLWithPath: "\(folder)/config.json"))
        _ = try GPTQSettings.read(directory: folder)
    },
    FuzzTarget(name: "config") { input in
        let path = Scratch.write(input, as: "config.json")
        _ = try FalconConfig(huggingFaceConfig: path)
    },
]

/// Files the model targets need beside the fuzzed one, read once from the seed corpus.
enum FuzzSeeds {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Seeds").standardizedFileURL
    static let randomConfigJSON: Data = (try? Data(contentsOf: directory.appendingPathComponent("config/random-mqa.json"))) ?? Data()
    static let randomShard: Data = (try? Data(contentsOf: directory.appendingPathComponent("safetensors/tiny.safetensors"))) ?? Data()
}
