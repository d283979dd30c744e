import ArgumentParser
import Kernels

/// `--type` and `--quantize` take the types a model file can be written as, spelled "q4_0", "q4_k", "bf16".
extension TensorType: ExpressibleByArgument {
    public init?(argument: String) { self.init(fileTypeName: argument) }
    public static var allValueStrings: [String] { fileTypes.map(\.argumentName) }
    public var defaultValueDescription: String { argumentName }
}
