import ArgumentParser
import Kernels

/// `--type` and `--quantize` take the types a model file can be written as, spelled "q4_0", "q4_k", "bf16".
extension TensorType: ExpressibleByArgument {
    public init?(argument: String) { self.init(fileTypeName: argument) }
    public static var allValueStrings: [String] { fileTypes.map(\.argumentName) }
    /// None: the defaults ArgumentParser derives for a raw-valued enum would list the GGML ids.
    public static var allValueDescriptions: [String: String] { [:] }
    public var defaultValueDescription: String { argumentName }
}
