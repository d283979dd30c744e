import Foundation
import Tokenization

/// A model given on the command line, opened: its configuration, its tensors and its tokenizer.
public final class OpenedModel: @unchecked Sendable {
    public enum Format: String, Sendable { case huggingFace = "safetensors", gguf }

    public let path: String
    public let format: Format
    public let config: FalconConfig
    public let tensors: TensorSource
    /// The model files, for hashing and sizes.
    public let files: [String]
    /// Nil for test models that carry no vocabulary (GGUF `no_vocab`).
    public let tokenizer: FalconTokenizer?
    /// The quantization of a GPTQ checkpoint (a Hugging Face directory whose tensors `GPTQCheckpoint` reads).
    public var gptq: GPTQSettings? { (tensors as? GPTQCheckpoint)?.settings }

    init(path: String, format: Format, config: FalconConfig, tensors: TensorSource, files: [String], tokenizer: FalconTokenizer?) {
        self.path = path
        self.format = format
        self.config = config
        self.tensors = tensors
        self.files = files
        self.tokenizer = tokenizer
    }

    /// The tokenizer, or an error naming the model when it has none.
    public func requireTokenizer() throws -> FalconTokenizer {
        guard let tokenizer else { throw ModelFileError(path, "this model carries no tokenizer") }
        return tokenizer
    }

    /// The token embedding's name in this format.
    public var embeddingName: String { format == .gguf ? "token_embd.weight" : "transformer.word_embeddings.weight" }
    /// The output matrix's name in this format (`lm_head.weight` / `output.weight`).
    public var outputMatrixName: String { format == .gguf ? "output.weight" : "lm_head.weight" }
    /// False when the output matrix is not stored (tied embeddings): the engine then multiplies by the
    /// token embedding.
    public var hasOutputMatrix: Bool { tensors.tensor(named: outputMatrixName) != nil }

    public var totalBytes: Int {
        files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
    }

    /// Opens a Hugging Face model directory (config.json + safetensors, sharded or not), a `.gguf` file, or a
    /// directory holding exactly one `.gguf`.
    public static func open(path: String) throws -> OpenedModel {
        try open(path: path, gptqExactFloat: false)
    }

    /// `gptqExactFloat` loads a GPTQ checkpoint's layers as exact f32 rows instead of integer blocks (the
    /// reference path of the tests; four times the memory).
    public static func open(path: String, gptqExactFloat: Bool) throws -> OpenedModel {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFileError(path, "no such file or directory")
        }
        if !isDirectory.boolValue {
            guard path.hasSuffix(".gguf") else {
                throw ModelFileError(path, "a model is a .gguf file or a directory (config.json + safetensors, or one .gguf)")
            }
            return try openGGUF(path)
        }
        let config = (path as NSString).appendingPathComponent("config.json")
        if fileManager.fileExists(atPath: config) {
            var falconConfig = try FalconConfig(huggingFaceConfig: config)
            let tensors: TensorSource
            let files: [String]
            if let settings = try GPTQSettings.read(directory: path) {
                let gptq = try GPTQCheckpoint(directory: path, settings: settings, config: falconConfig, exactFloat: gptqExactFloat)
                // The dtype here is the quantizer's load dtype (bf16 on GPTQModel's CPU, fp16 for AutoGPTQ), not
                // the trained model's, so RoPE is computed from theta in f32, as a freshly built model does and
                // as the GPTQ oracles were made (../shared/reference/gptq/README.md, "Perplexity").
                falconConfig.checkpointDType = nil
                tensors = gptq
                files = gptq.checkpoint.files.map(\.file.path)
            } else {
                let checkpoint = try SafetensorsCheckpoint(path: path)
                tensors = checkpoint
                files = checkpoint.files.map(\.file.path)
            }
            let tokenizerFile = URL(fileURLWithPath: path).appendingPathComponent("tokenizer.json")
            let tokenizer = FileManager.default.fileExists(atPath: tokenizerFile.path) ? try FalconTokenizer(contentsOf: tokenizerFile) : nil
            return OpenedModel(path: path, format: .huggingFace, config: falconConfig, tensors: tensors, files: files, tokenizer: tokenizer)
        }
        let ggufs = ((try? fileManager.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".gguf") }.sorted()
        switch ggufs.count {
        case 1: return try openGGUF((path as NSString).appendingPathComponent(ggufs[0]))
        case 0: throw ModelFileError(path, "no config.json and no .gguf file in this directory")
        default: throw ModelFileError(path, "several .gguf files here (\(ggufs.joined(separator: ", "))); name one")
        }
    }

    private static func openGGUF(_ path: String) throws -> OpenedModel {
        let gguf = try GGUFFile(path: path)
        let hasVocabulary = gguf.metadata["tokenizer.ggml.model"]?.string != "no_vocab"
        return OpenedModel(path: path, format: .gguf, config: try FalconConfig(gguf: gguf), tensors: gguf,
                           files: [path], tokenizer: hasVocabulary ? try FalconTokenizer(gguf: gguf) : nil)
    }
}

extension FalconTokenizer {
    /// The tokenizer stored in a GGUF file's metadata (`tokenizer.ggml.tokens`, `merges`, `token_type`), so a
    /// GGUF model needs no side file. Control and user-defined tokens are the special ones.
    public convenience init(gguf: GGUFFile) throws {
        let path = gguf.file.path
        guard let model = gguf.metadata["tokenizer.ggml.model"]?.string else {
            throw ModelFileError(path, "no tokenizer in this file (tokenizer.ggml.model missing)")
        }
        guard model == "gpt2" else { throw ModelFileError(path, "tokenizer.ggml.model is \"\(model)\"; Falcon's is gpt2 (byte-level BPE)") }
        if let pre = gguf.metadata["tokenizer.ggml.pre"]?.string, !["falcon", "default"].contains(pre) {
            throw ModelFileError(path, "tokenizer.ggml.pre is \"\(pre)\"; only Falcon's pre-tokenizer is implemented")
        }
        guard let tokens = gguf.metadata["tokenizer.ggml.tokens"]?.stringArray, !tokens.isEmpty else {
            throw ModelFileError(path, "tokenizer.ggml.tokens is missing or empty")
        }
        let mergeStrings = gguf.metadata["tokenizer.ggml.merges"]?.stringArray ?? []
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeStrings.count)
        for (index, merge) in mergeStrings.enumerated() {
            // llama.cpp splits at the first space after the first character (a token may itself be a space).
            guard let space = merge.dropFirst().firstIndex(of: " ") else {
                throw ModelFileError(path, "tokenizer.ggml.merges[\(index)] \"\(merge)\" is not two tokens")
            }
            merges.append((String(merge[..<space]), String(merge[merge.index(after: space)...])))
        }
        let types = gguf.metadata["tokenizer.ggml.token_type"]?.intArray ?? []
        let special = Set(types.enumerated().filter { $0.element == 3 || $0.element == 4 }.map(\.offset))
        try self.init(vocabulary: tokens, merges: merges, specialTokenIDs: special, source: path)
    }
}
