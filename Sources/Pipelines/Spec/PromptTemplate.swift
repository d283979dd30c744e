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
        do {
            template = try MustacheTemplate(string: Self.pragma + text)
        } catch let error as MustacheTemplate.ParserError {
            // The pragma sits on line 1, so only line 1's columns shift.
            let column = error.context.lineNumber == 1 ? max(1, error.context.columnNumber - Self.pragma.count) : error.context.columnNumber
            throw Problem(line: error.context.lineNumber, column: column, message: "template: \(error.error)")
        }
        if let unknown = Self.unknownVariable(in: text) { throw unknown }
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
