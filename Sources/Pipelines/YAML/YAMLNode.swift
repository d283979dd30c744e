/// A 1-based line and column in a text file, as people and editors count them.
public struct SourceMark: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A parsed YAML node: the tree a pipeline file is decoded from. Every node keeps where it started so that
/// every decoding problem can name its line and column (Codable's `DecodingError` cannot).
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        /// `quoted` is true for single- or double-quoted and block scalars: `"10"` stays a string.
        case scalar(String, quoted: Bool)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public let kind: Kind
    public let mark: SourceMark

    public init(_ kind: Kind, mark: SourceMark) {
        self.kind = kind
        self.mark = mark
    }

    /// The scalar's text, or nil for collections.
    public var scalar: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// A YAML `null` (`~`, `null`, or nothing at all) written as a plain scalar.
    public var isNull: Bool {
        if case .scalar(let text, let quoted) = kind, !quoted { return ["", "~", "null", "Null", "NULL"].contains(text) }
        return false
    }

    /// What the node is, as an error message names it.
    public var kindName: String {
        switch kind {
        case .scalar: return isNull ? "null" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
