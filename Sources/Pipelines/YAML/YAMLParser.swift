internal import CYAML
import Foundation

/// A YAML syntax problem, or a feature pipeline files refuse (aliases, explicit tags, deep nesting).
public struct YAMLError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let mark: SourceMark
    public let message: String

    public var description: String { "\(file):\(mark): \(message)" }
}

/// The only file that touches libyaml: runs its event parser over a document and builds a `YAMLNode` tree.
///
/// Safe by construction: aliases are refused (so no "billion laughs" expansion is possible — pipeline files
/// have no use for them), explicit tags are refused (no arbitrary types), nesting depth and node count are
/// bounded, and exactly one document is accepted.
public enum YAMLParser {
    public static let maximumDepth = 64
    public static let maximumNodes = 100_000

    public static func parse(contentsOf url: URL, displayName: String? = nil) throws -> YAMLNode {
        let name = displayName ?? url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw YAMLError(file: name, mark: SourceMark(line: 1, column: 1), message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse([UInt8](data), file: name)
    }

    public static func parse(_ text: String, file: String) throws -> YAMLNode {
        try parse(Array(text.utf8), file: file)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws -> YAMLNode {
        let session = ParserSession(file: file)
        return try bytes.withUnsafeBufferPointer { buffer in
            try session.run(buffer)
        }
    }
}

/// Owns one `yaml_parser_t` for one parse (deinit releases it, as Yams does).
private final class ParserSession {
    private var parser = yaml_parser_t()
    private let file: String
    private var nodeCount = 0

    init(file: String) {
        self.file = file
        yaml_parser_initialize(&parser)
    }

    deinit { yaml_parser_delete(&parser) }

    func run(_ buffer: UnsafeBufferPointer<UInt8>) throws -> YAMLNode {
        // libyaml reads directly from the buffer, which stays alive for the whole parse (the caller's closure).
        let empty: [UInt8] = [0]
        if let base = buffer.baseAddress {
            yaml_parser_set_input_string(&parser, base, buffer.count)
        } else {
            empty.withUnsafeBufferPointer { yaml_parser_set_input_string(&parser, $0.baseAddress!, 0) }
        }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)

        var event = try next()
        guard event.type == YAML_STREAM_START_EVENT else { throw unexpected(event) }
        event = try next()
        if event.type == YAML_STREAM_END_EVENT {
            return YAMLNode(.mapping([]), mark: SourceMark(line: 1, column: 1))
        }
        guard event.type == YAML_DOCUMENT_START_EVENT else { throw unexpected(event) }
        let root = try node(from: try next(), depth: 0)
        let end = try next()
        guard end.type == YAML_DOCUMENT_END_EVENT else { throw unexpected(end) }
        let after = try next()
        if after.type == YAML_DOCUMENT_START_EVENT {
            throw YAMLError(file: file, mark: after.mark, message: "a pipeline file holds one YAML document; found a second one")
        }
        return root
    }

    private func node(from event: Event, depth: Int) throws -> YAMLNode {
        nodeCount += 1
        if nodeCount > YAMLParser.maximumNodes {
            throw YAMLError(file: file, mark: event.mark, message: "more than \(YAMLParser.maximumNodes) YAML nodes")
        }
        if depth > YAMLParser.maximumDepth {
            throw YAMLError(file: file, mark: event.mark, message: "YAML nested deeper than \(YAMLParser.maximumDepth) levels")
        }
        switch event.type {
        case YAML_ALIAS_EVENT:
            throw YAMLError(file: file, mark: event.mark, message: "YAML aliases (*name) are not allowed in pipeline files")
        case YAML_SCALAR_EVENT:
            let scalar = event.event.data.scalar
            try refuseTag(scalar.tag, at: event.mark)
            let text = scalar.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self) } ?? ""
            return YAMLNode(.scalar(text, quoted: scalar.style != YAML_PLAIN_SCALAR_STYLE), mark: event.mark)
        case YAML_SEQUENCE_START_EVENT:
            try refuseTag(event.event.data.sequence_start.tag, at: event.mark)
            var items: [YAMLNode] = []
            while true {
                let item = try next()
                if item.type == YAML_SEQUENCE_END_EVENT { break }
                items.append(try node(from: item, depth: depth + 1))
            }
            return YAMLNode(.sequence(items), mark: event.mark)
        case YAML_MAPPING_START_EVENT:
            try refuseTag(event.event.data.mapping_start.tag, at: event.mark)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            while true {
                let keyEvent = try next()
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                let key = try node(from: keyEvent, depth: depth + 1)
                let value = try node(from: try next(), depth: depth + 1)
                pairs.append((key, value))
            }
            return YAMLNode(.mapping(pairs), mark: event.mark)
        default:
            throw unexpected(event)
        }
    }

    private func refuseTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, at mark: SourceMark) throws {
        guard let tag else { return }
        let name = String(cString: tag)
        throw YAMLError(file: file, mark: mark, message: "explicit YAML tags (\(name)) are not allowed in pipeline files")
    }

    private func next() throws -> Event {
        let event = Event()
        guard yaml_parser_parse(&parser, &event.event) == 1 else { throw syntaxError() }
        return event
    }

    private func syntaxError() -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "YAML syntax error"
        let mark = SourceMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context) at \(Int(parser.context_mark.line) + 1):\(Int(parser.context_mark.column) + 1))"
        }
        return YAMLError(file: file, mark: mark, message: message)
    }

    private func unexpected(_ event: Event) -> YAMLError {
        YAMLError(file: file, mark: event.mark, message: "unexpected YAML structure")
    }
}

/// Owns one `yaml_event_t` and releases it.
private final class Event {
    var event = yaml_event_t()
    deinit { yaml_event_delete(&event) }

    var type: yaml_event_type_t { event.type }
    var mark: SourceMark {
        SourceMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }
}
