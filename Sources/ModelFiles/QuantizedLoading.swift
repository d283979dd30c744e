import Kernels

extension OpenedModel {
    /// Opens a model for inference: as it is, or, given `quantize`, a Hugging Face checkpoint's 2-D weights
    /// quantized in memory while loading (the analog of transformers' `load_in_4bit=True`; see
    /// `FalconGGUFConverter.quantizedInMemory`). The one implementation behind `--quantize` and `model.quantize`.
    public static func open(path: String, quantize: TensorType?, threads: Int = 0) throws -> OpenedModel {
        let opened = try open(path: path)
        guard let quantize else { return opened }
        guard TensorType.fileTypes.contains(quantize) else {
            throw ModelFileError(path, "cannot quantize to \(quantize) while loading; the types are \(TensorType.fileTypes.map(\.argumentName).joined(separator: ", "))")
        }
        guard opened.format == .huggingFace else {
            throw ModelFileError(path, "quantizing while loading applies to a Hugging Face checkpoint; this GGUF file is already in its final types")
        }
        return try FalconGGUFConverter.quantizedInMemory(opened, to: quantize, threads: threads)
    }
}
