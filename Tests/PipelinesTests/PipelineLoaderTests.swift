import Foundation
import Testing
@testable import Pipelines

/// A valid pipeline; tests change one line at a time so each problem's line and column is known.
private let validPipeline = """
name: test
seed: 3
input:
  paths: [in]
normalize: { speakers: intervenant, casing: keep }
chunk: { window: 256, reserve: 32 }
model:
  path: some/model
steps:
  - id: go
    kind: continuation
    generation: { max_new_tokens: 16, temperature: 0.5 }
output: { dir: out }
schedule: { every: 1h30m }
"""

private func load(_ text: String) throws -> PipelineSpec {
    try PipelineLoader.decode(try YAMLParser.parse(text, file: "p.yaml"), file: "p.yaml", checkModelExists: false)
}

private func problems(_ text: String) -> [String] {
    do {
        _ = try load(text)
        return []
    } catch let error as PipelineError {
        return error.problems.map(\.description)
    } catch {
        return ["\(error)"]
    }
}

@Suite struct PipelineLoaderTests {
    @Test(arguments: [
        ("[auto]", InputFormats.auto), ("[vtt]", .forced(.vtt)), ("[vtt, srt]", .bestOf([.vtt, .srt])), ("[auto, trs]", .bestOf([.trs])),
    ])
    func inputFormatsAreTyped(list: String, expected: InputFormats) throws {
        let spec = try load(validPipeline.replacingOccurrences(of: "  paths: [in]", with: "  paths: [in]\n  formats: \(list)"))
        #expect(spec.input.formats == expected)
    }

    @Test func validPipelineDecodesWithDefaults() throws {
        let spec = try load(validPipeline)
        #expect(spec.name == "test")
        #expect(spec.seed == 3)
        #expect(spec.input.paths == ["in"])
        #expect(spec.input.formats == .auto)
        #expect(spec.chunk.window == 256 && spec.chunk.reserve == 32 && spec.chunk.overlapTurns == 1)
        #expect(spec.steps.count == 1)
        #expect(spec.steps[0].generation.maxNewTokens == 16)
        #expect(spec.steps[0].generation.temperature == 0.5)
        #expect(spec.steps[0].generation.topK == 10, "model card default")
        #expect(spec.steps[0].template.text == "{{window}}\n")
        #expect(spec.schedule == .every(ScheduleInterval(seconds: 5400)))
        #expect(spec.output.markdown == false)
    }

    @Test func unknownKeyHasDidYouMean() {
        let text = validPipeline.replacingOccurrences(of: "  - id: go", with: "  - id: go\n    tempalte: x")
        #expect(problems(text) == ["p.yaml:11:5: unknown key 'tempalte' in steps[0] (did you mean 'template'?); known keys: id, kind, template, generation"])
    }

    @Test func unknownRootKeyWithoutCloseMatch() {
        #expect(problems(validPipeline + "\nzzzzzz: 1") == ["p.yaml:15:1: unknown key 'zzzzzz' in the pipeline; known keys: name, seed, input, normalize, chunk, model, steps, output, schedule"])
    }

    @Test func wrongTypesAreReportedWhereTheyAre() {
        let text = validPipeline.replacingOccurrences(of: "max_new_tokens: 16", with: "max_new_tokens: lots")
            .replacingOccurrences(of: "window: 256", with: "window: [1]")
        #expect(problems(text) == [
            "p.yaml:6:18: chunk.window must be an integer, found a list",
            "p.yaml:12:35: steps[0].generation.max_new_tokens must be an integer, found 'lots'",
        ])
    }

    @Test func missingRequiredKeys() {
        let text = validPipeline.replacingOccurrences(of: "model:\n  path: some/model\n", with: "model: { threads: 2 }\n")
            .replacingOccurrences(of: "    kind: continuation\n", with: "")
        #expect(problems(text) == [
            "p.yaml:7:8: missing required key 'path' in model",
            "p.yaml:9:5: missing required key 'kind' in steps[0]",
        ])
    }

    @Test func badDurationAndCron() {
        #expect(problems(validPipeline.replacingOccurrences(of: "every: 1h30m", with: "every: 10x")) ==
            ["p.yaml:14:20: schedule.every: bad duration '10x': unknown unit 'x' (use s, m, h or d, e.g. 10m or 1h30m)"])
        #expect(problems(validPipeline.replacingOccurrences(of: "every: 1h30m", with: "cron: \"*/10 * * *\"")) ==
            ["p.yaml:14:19: schedule.cron: bad cron expression '*/10 * * *': expected 5 fields (minute hour day month weekday), found 4"])
        #expect(problems(validPipeline.replacingOccurrences(of: "every: 1h30m", with: "cron: \"61 * * * *\"")) ==
            ["p.yaml:14:19: schedule.cron: bad cron expression '61 * * * *': minute field '61': 61 is outside 0-59"])
    }

    @Test func unknownEnumValueHasDidYouMean() {
        let text = validPipeline.replacingOccurrences(of: "kind: continuation", with: "kind: sumarize")
        #expect(problems(text) == ["p.yaml:11:11: steps[0].kind: unknown value 'sumarize' (did you mean 'summarize'?); expected one of continuation, summarize, complete-turn"])
    }

    @Test func missingModelIsReportedAgainstTheCurrentDirectory() throws {
        let root = try YAMLParser.parse(validPipeline, file: "p.yaml")
        #expect { try PipelineLoader.decode(root, file: "p.yaml") } throws: { error in
            let problems = (error as? PipelineError)?.problems ?? []
            return problems.count == 1 && problems[0].mark == SourceMark(line: 8, column: 9)
                && problems[0].message.hasPrefix("model.path 'some/model' does not exist")
        }
    }

    @Test func templateTypoIsCaughtAtLoadTime() {
        let text = validPipeline.replacingOccurrences(of: "    kind: continuation", with: "    kind: continuation\n    template: \"A {{windw}}\"")
        #expect(problems(text) == ["p.yaml:12:15: steps[0].template line 1, column 3: unknown template variable 'windw' (did you mean 'window'?); known: window, speakers, speaker_list, next_speaker, source, source_name, format, window_index, window_number, window_count, pipeline, step"])
    }

    @Test func brokenTemplateSyntaxIsReported() {
        let text = validPipeline.replacingOccurrences(of: "    kind: continuation", with: "    kind: continuation\n    template: \"{{#speakers}}x\"")
        let found = problems(text)
        #expect(found.count == 1 && found[0].hasPrefix("p.yaml:12:15: steps[0].template"))
    }

    @Test func allProblemsAreReportedInFileOrder() {
        let text = validPipeline.replacingOccurrences(of: "seed: 3", with: "seed: -3")
            .replacingOccurrences(of: "casing: keep", with: "casing: upper")
            .replacingOccurrences(of: "every: 1h30m", with: "every: 5")
        let found = problems(text)
        #expect(found.count == 3)
        #expect(found.map { $0.split(separator: ":").prefix(3).joined(separator: ":") } == ["p.yaml:2:7", "p.yaml:5:45", "p.yaml:14:20"])
    }

    @Test func reserveMustCoverGeneration() {
        let text = validPipeline.replacingOccurrences(of: "max_new_tokens: 16", with: "max_new_tokens: 100")
        #expect(problems(text) == ["p.yaml:6:8: a step generates up to 100 tokens but chunk.reserve keeps only 32 free in each window; raise chunk.reserve"])
    }

    @Test func duplicateStepIDsAndKeys() {
        let text = validPipeline.replacingOccurrences(of: "output: { dir: out }", with: "  - id: go\n    kind: summarize\noutput: { dir: out, dir: again }")
        #expect(problems(text) == [
            "p.yaml:13:5: duplicate step id 'go'",
            "p.yaml:15:21: duplicate key 'dir' in output",
        ])
    }

    @Test func templateRendersWithoutHTMLEscaping() throws {
        let template = try PromptTemplate("{{window}}\n{{next_speaker}}|{{#speakers}}<{{.}}>{{/speakers}}")
        #expect(template.render(["window": "a & b < \"c\"", "next_speaker": "[Intervenant 2:]", "speakers": ["X", "Y"]])
            == "a & b < \"c\"\n[Intervenant 2:]|<X><Y>")
    }

    @Test(arguments: ["continuation", "summarization", "dialogue-completion"])
    func shippedPipelinesDecode(name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Pipelines/\(name).yaml")
        let spec = try PipelineLoader.load(path: url.path, checkModelExists: false)
        #expect(spec.name == name)
        #expect(spec.input.paths == ["Samples/transcripts"])
        #expect(spec.model.path == "Samples/models/claire-tiny-fr.Q8_0.gguf")
    }

    /// A probe found `validate` aborting (out of memory) on a tag of ~100k nested brackets; memory grew with
    /// the square of the count. Such templates are refused by a linear scan, with the place of the tag.
    @Test(arguments: [2_000, 20_000, 100_000])
    func nestedBracketsInATagAreRefusedBeforeParsing(count: Int) throws {
        let text = "Bonjour\n{{" + String(repeating: "{", count: count) + "window" + String(repeating: "}", count: count) + "}}"
        let problem = try #require(throws: PromptTemplate.Problem.self) { try PromptTemplate(text) }
        if text.utf8.count > PromptTemplate.maximumBytes {
            #expect(problem.message.contains("-byte limit"))
        } else {
            #expect(problem.line == 2 && problem.column == 1 && problem.message.hasPrefix("template: "), "\(problem)")
        }
    }

    @Test func templateBoundsKeepOrdinaryTemplates() throws {
        _ = try PromptTemplate("{{{window}}}\n{{#speakers}}{{.}}, {{/speakers}}{{! a comment }}")
        #expect(throws: PromptTemplate.Problem.self) { try PromptTemplate("{{window") }
        #expect(throws: PromptTemplate.Problem.self) { try PromptTemplate("{{a{b}}") }
        let deep = String(repeating: "{{#speakers}}", count: 40) + String(repeating: "{{/speakers}}", count: 40)
        #expect(throws: PromptTemplate.Problem.self) { try PromptTemplate(deep) }
        #expect(throws: PromptTemplate.Problem.self) { try PromptTemplate(String(repeating: "x", count: 70_000)) }
    }
}
