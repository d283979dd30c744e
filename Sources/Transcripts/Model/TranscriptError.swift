/// Why a transcript could not be read: always names the file and, where it applies, where in it.
public struct TranscriptError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Location: Sendable, Equatable {
        case none
        case line(Int, column: Int?)
        case byteOffset(Int)
    }

    public var file: String
    public var location: Location
    public var message: String

    public init(file: String, _ message: String) {
        self.init(file: file, .none, message)
    }

    public init(file: String, _ location: Location, _ message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    /// One line, `file:line:column: message` like compilers print, so editors can jump to it.
    public var description: String {
        switch location {
        case .none: return "\(file): \(message)"
        case .line(let line, let column?): return "\(file):\(line):\(column): \(message)"
        case .line(let line, nil): return "\(file):\(line): \(message)"
        case .byteOffset(let offset): return "\(file): byte \(offset): \(message)"
        }
    }
}
