/// Why a model file could not be used. Every case renders as one line naming the file and, where it
/// applies, the byte offset.
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var offset: Int?
    public var message: String

    public init(_ path: String, at offset: Int? = nil, _ message: String) {
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(path): at byte \(offset): \(message)" }
        return "\(path): \(message)"
    }
}
