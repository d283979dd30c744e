/// Why the engine refused a model or a request; one line each.
public enum EngineError: Error, CustomStringConvertible, Equatable, Sendable {
    case missingTensor(name: String, model: String)
    case badTensorShape(name: String, shape: [Int], expected: [Int], model: String)
    case unsupportedTensorType(type: String, name: String, model: String)
    case promptTooLong(tokens: Int, context: Int)
    case emptyPrompt
    case tokenOutOfRange(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .missingTensor(name, model):
            return "\(model): tensor \(name) is missing"
        case let .badTensorShape(name, shape, expected, model):
            return "\(model): tensor \(name) has shape \(shape), expected \(expected)"
        case let .unsupportedTensorType(type, name, model):
            // The wording the next issue's quant kernels are tracked by: type, tensor, then the file.
            return "unsupported tensor type \(type) for \(name) (\(model))"
        case let .promptTooLong(tokens, context):
            return "the prompt has \(tokens) tokens, \(tokens - context) more than the model's context of \(context)"
        case .emptyPrompt:
            return "the prompt is empty: the model needs at least one token"
        case let .tokenOutOfRange(id, vocabularySize):
            return "token id \(id) is outside the vocabulary (0..<\(vocabularySize))"
        }
    }
}
