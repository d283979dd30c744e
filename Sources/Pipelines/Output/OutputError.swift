/// Writing outputs, the ledger or the lock failed; the description is one line naming the file.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
