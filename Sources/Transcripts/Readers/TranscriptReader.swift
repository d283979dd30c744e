import Foundation

/// One file format. Readers are stateless; `read` gets the whole input (already size-checked by the caller).
public protocol TranscriptReader: Sendable {
    static var format: TranscriptFormat { get }
    /// How sure this reader is that `data` (named `fileName`) is its format, from content first and the
    /// extension second: 0 = no, 100 = certain. Detection picks the highest.
    static func confidence(data: Data, fileName: String) -> Int
    /// Reads a transcript; `source` is the name to put in errors and in `Transcript.source`.
    func read(data: Data, source: String) throws -> Transcript
    init()
}
