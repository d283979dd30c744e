import Testing
@testable import Pipelines

@Suite struct YAMLParserTests {
    @Test func marksAreOneBasedLineAndColumn() throws {
        let root = try YAMLParser.parse("name: x\nmodel:\n  path: m\nsteps:\n  - id: a\n", file: "p.yaml")
        guard case .mapping(let pairs) = root.kind else { Issue.record("root is not a mapping"); return }
        #expect(pairs.map { $0.key.scalar } == ["name", "model", "steps"])
        #expect(pairs[0].key.mark == SourceMark(line: 1, column: 1))
        #expect(pairs[0].value.mark == SourceMark(line: 1, column: 7))
        guard case .mapping(let model) = pairs[1].value.kind else { Issue.record("model is not a mapping"); return }
        #expect(model[0].key.mark == SourceMark(line: 3, column: 3))
        guard case .sequence(let steps) = pairs[2].value.kind else { Issue.record("steps is not a list"); return }
        #expect(steps[0].mark == SourceMark(line: 5, column: 5))
    }

    @Test func quotedScalarsAreMarkedQuoted() throws {
        let root = try YAMLParser.parse("a: \"10\"\nb: 10\nc: |\n  x\n", file: "p.yaml")
        guard case .mapping(let pairs) = root.kind else { Issue.record("not a mapping"); return }
        guard case .scalar("10", quoted: true) = pairs[0].value.kind else { Issue.record("a"); return }
        guard case .scalar("10", quoted: false) = pairs[1].value.kind else { Issue.record("b"); return }
        guard case .scalar("x\n", quoted: true) = pairs[2].value.kind else { Issue.record("c"); return }
    }

    @Test func syntaxErrorNamesFileLineAndColumn() {
        #expect { try YAMLParser.parse("a: [1, 2\nb: 3\n", file: "bad.yaml") } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("bad.yaml:") && (error as? YAMLError)?.mark.line == 2
        }
    }

    @Test func aliasesAreRefused() {
        // A "billion laughs" document: refused at the first alias instead of expanding.
        let text = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
        #expect { try YAMLParser.parse(text, file: "lol.yaml") } throws: { error in
            "\(error)" == "lol.yaml:2:8: YAML aliases (*name) are not allowed in pipeline files"
        }
    }

    @Test func explicitTagsAreRefused() {
        #expect { try YAMLParser.parse("a: !!python/object x\n", file: "t.yaml") } throws: { error in
            (error as? YAMLError)?.mark == SourceMark(line: 1, column: 4)
        }
    }

    @Test func deepNestingIsBounded() {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(text, file: "deep.yaml") }
    }

    @Test func secondDocumentIsRefused() {
        #expect(throws: YAMLError.self) { try YAMLParser.parse("a: 1\n---\nb: 2\n", file: "two.yaml") }
    }

    @Test func emptyFileIsAnEmptyMapping() throws {
        let root = try YAMLParser.parse("", file: "e.yaml")
        guard case .mapping(let pairs) = root.kind else { Issue.record("not a mapping"); return }
        #expect(pairs.isEmpty)
    }
}
