import Foundation

/// Why a tokenizer could not be loaded or an input could not be tokenized. Each case renders as one line
/// that names the file (and the position when there is one).
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformedTokenizerJSON(path: String, reason: String)
    case unsupportedModel(path: String, reason: String)
    case mergeTokenMissing(path: String, merge: Int, token: String)
    case invalidUTF8(source: String, byteOffset: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read tokenizer: \(reason)"
        case let .malformedTokenizerJSON(path, reason):
            return "\(path): not a usable tokenizer.json: \(reason)"
        case let .unsupportedModel(path, reason):
            return "\(path): unsupported tokenizer: \(reason)"
        case let .mergeTokenMissing(path, merge, token):
            return "\(path): merge #\(merge) produces \"\(token)\", which is not in the vocabulary"
        case let .invalidUTF8(source, byteOffset):
            return "\(source): invalid UTF-8 at byte offset \(byteOffset)"
        }
    }
}
