import Mustache

/// A step's prompt template (Mustache, no HTML escaping), checked when the pipeline is loaded.
///
/// Variables:
/// - `window`: the window's dialogue in Claire's format (one turn per line, speaker tags per `normalize`)
/// - `speakers` (a list, for `{{#speakers}}{{.}}{{/speakers}}`) and `speaker_list` ("A, B, C")
/// - `next_speaker`: the tag of the speaker whose turn `complete-turn` asks for (empty for other kinds)
/// - `source` (the input path as given), `source_name` (its file name), `format` (the reader used)
/// - `window_index` (from 0), `window_number` (from 1), `window_count`
/// - `pipeline` (the pipeline's name), `step` (the step's id)
public struct PromptTemplate: Sendable {
    public static let variables = [
        "window", "speakers", "speaker_list", "next_speaker", "source", "source_name", "format",
        "window_index", "window_number", "window_count", "pipeline", "step",
    ]

    /// Turns off Mustache's HTML escaping: prompts are plain text (`<`, `&` and quotes must pass through).
    private static let pragma = "{{% CONTENT_TYPE: TEXT}}"

    public let text: String
    private let template: MustacheTemplate

    /// A problem in the template, with a 1-based line and column inside the template text.
    public struct Problem: Error, Sendable {
        public let line: Int
        public let column: Int
        public let message: String
    }

    public init(_ text: String) throws {
        self.text = text
        if let problem = Self.outOfBounds(text) { throw problem }
        do {
            template = try MustacheTemplate(string: Self.pragma + text)
        } catch let error as MustacheTemplate.ParserError {
            // The pragma sits on line 1, so only line 1's columns shift.
            let column = error.context.lineNumber == 1 ? max(1, error.context.columnNumber - Self.pragma.count) : error.context.columnNumber
            throw Problem(line: error.context.lineNumber, column: column, message: "template: \(error.error)")
        }
        if let unknown = Self.unknownVariable(in: text) { throw unknown }
    }

    /// The longest template, the longest `{{…}}` tag and the deepest section nesting accepted. Real prompts
    /// are a few hundred bytes with tags of a dozen; the Mustache parser's memory grows with the square of
    /// the brackets inside one tag (100,000 nested brackets exhausted memory), so hostile templates are
    /// refused by one linear scan before it sees them.
    static let maximumBytes = 64 << 10, maximumTagBytes = 256, maximumSectionDepth = 32

    static func outOfBounds(_ text: String) -> Problem? {
        let bytes = Array(text.utf8)
        if bytes.count > maximumBytes {
            return Problem(line: 1, column: 1, message: "template: \(bytes.count) bytes, more than the \(maximumBytes)-byte limit for a prompt template")
        }
        var line = 1, lineStart = 0, depth = 0, i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\n") { line += 1; lineStart = i + 1 }
            guard bytes[i] == UInt8(ascii: "{"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") else { i += 1; continue }
            let tagStart = i
            // Counted only for an error: a long line with many tags would otherwise be scanned once per tag.
            var column: Int { String(decoding: bytes[lineStart..<tagStart], as: UTF8.self).count + 1 }
            // The tag runs to the first "}}" (a triple mustache's third brace follows it).
            var end = i + 2
            while end + 1 < bytes.count, !(bytes[end] == UInt8(ascii: "}") && bytes[end + 1] == UInt8(ascii: "}")), end - i <= maximumTagBytes {
                end += 1
            }
            guard end + 1 < bytes.count, bytes[end] == UInt8(ascii: "}"), bytes[end + 1] == UInt8(ascii: "}") else {
                return Problem(line: line, column: column, message: "template: a {{ tag that is not closed by }} within \(maximumTagBytes) characters")
            }
            let inner = bytes[(i + 2)..<end]
            let braces = inner.filter { $0 == UInt8(ascii: "{") }.count
            if braces > 1 || (braces == 1 && inner.first != UInt8(ascii: "{")) {
                return Problem(line: line, column: column, message: "template: '{' inside a {{ }} tag (only {{{name}}} is allowed)")
            }
            switch inner.first {
            case UInt8(ascii: "#"), UInt8(ascii: "^"):
                depth += 1
                if depth > maximumSectionDepth {
                    return Problem(line: line, column: column, message: "template: sections nested more than \(maximumSectionDepth) deep")
                }
            case UInt8(ascii: "/"): depth -= 1
            default: break
            }
            for (offset, byte) in inner.enumerated() where byte == UInt8(ascii: "\n") { line += 1; lineStart = i + 2 + offset + 1 }
            i = end + 2
        }
        return nil
    }

    public func render(_ values: [String: Any]) -> String {
        template.render(values)
    }

    /// Finds the first `{{name}}` that is not a documented variable, so that a typo fails at load time
    /// instead of rendering as nothing.
    static func unknownVariable(in text: String) -> Problem? {
        var line = 1, column = 1
        var index = text.startIndex
        var sectionDepth = 0
        while index < text.endIndex {
            if text[index...].hasPrefix("{{"), let close = text[index...].range(of: "}}") {
                var name = text[text.index(index, offsetBy: 2)..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                let sigil = name.first
                if sigil == "!" || sigil == "=" || sigil == "%" {
                    name = ""
                } else if let sigil, "#^/{&>".contains(sigil) {
                    if sigil == ">" { return Problem(line: line, column: column, message: "template: partials ({{>…}}) are not supported") }
                    if sigil == "#" || sigil == "^" { sectionDepth += 1 }
                    if sigil == "/" { sectionDepth -= 1 }
                    name = String(name.dropFirst()).trimmingCharacters(in: CharacterSet(charactersIn: " }"))
                }
                let head = name.split(separator: ".").first.map(String.init) ?? name
                if !name.isEmpty, name != ".", !variables.contains(head), sectionDepth == 0 || sigil == "#" || sigil == "^" {
                    return Problem(line: line, column: column, message: "unknown template variable '\(head)'\(DidYouMean.hint(for: head, among: variables)); known: \(variables.joined(separator: ", "))")
                }
            }
            if text[index] == "\n" { (line, column) = (line + 1, 1) } else { column += 1 }
            index = text.index(after: index)
        }
        return nil
    }
}

import Foundation
