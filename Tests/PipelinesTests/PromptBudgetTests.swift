import Foundation
import Logging
import Testing
import TestSupport
@testable import Pipelines

/// Windows are cut so that the prompt, template and all, fits `chunk.window - chunk.reserve`: checked on real
/// prompts, with a template naming every variable and values (a long path, long speaker names) that make the
/// parts around the window large.
struct PromptBudgetTests {
    static let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf").path

    @Test func everyPromptFitsTheWindowWhateverVariablesTheTemplateUses() throws {
        let root = try temporaryDirectory()
        defer { TemporaryFiles.remove(root) }
        let input = root.appendingPathComponent("une archive de réunions municipales/séance plénière du conseil/enregistrements")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        let speakers = ["Marie-Hélène Dupont-Lefèvre", "Jean-Baptiste Oudinot de la Faverie", "Anne", "Bertrand Moreau-Castelnau"]
        let lines = (0..<40).map { "\(speakers[$0 * 7 % speakers.count]): Réplique \($0), on reparle du budget de la salle polyvalente et du planning." }
        let transcript = input.appendingPathComponent("compte-rendu-intégral-de-la-séance-du-conseil-municipal.txt")
        try (lines.joined(separator: "\n") + "\n").write(to: transcript, atomically: true, encoding: .utf8)
        let template = PromptTemplate.variables.map { name in
            name == "speakers" ? "{{#speakers}}<{{.}}>{{/speakers}}" : "\(name)={{\(name)}}"
        }.joined(separator: "\n")
        let yaml = root.appendingPathComponent("p.yaml")
        try """
            name: budget-with-every-variable
            input: { paths: [\(input.path)] }
            normalize: { speakers: named }
            chunk: { window: 512, reserve: 16, overlap_turns: 1 }
            model: { path: \(Self.model), threads: 1 }
            steps:
              - id: next-turn-of-the-meeting
                kind: complete-turn
                template: \(try jsonString(template))
                generation: { max_new_tokens: 1 }
            output: { dir: \(root.appendingPathComponent("out").path) }
            """.write(to: yaml, atomically: true, encoding: .utf8)
        let spec = try PipelineLoader.load(path: yaml.path)
        #expect(Set(PromptTemplate.variables).allSatisfy { spec.steps[0].template.text.contains("{{\($0)}}") || $0 == "speakers" })
        let (engine, preparer) = try PipelineModel.open(for: spec)
        let runner = PipelineRunner(spec: spec, generator: engine, preparer: preparer, logger: Logger(label: "test"))
        let outputs = try runner.process(try #require(PipelineRun.inputs(of: spec).first))
        let records = try String(contentsOf: try #require(outputs.first), encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.count > 3, "the dialogue spans several windows")
        let budget = spec.chunk.window - spec.chunk.reserve
        for record in records {
            let tokens = try #require(record["prompt_tokens"] as? Int)
            #expect(tokens <= budget, "window \(record["window"] ?? "?"): \(tokens) prompt tokens > \(budget)")
        }
    }

    @Test func aWindowLongerThanTheModelsContextNamesBothNumbers() throws {
        let root = try temporaryDirectory()
        defer { TemporaryFiles.remove(root) }
        let yaml = root.appendingPathComponent("p.yaml")
        try """
            name: too-long
            input: { paths: [\(root.path)] }
            chunk: { window: 4096 }
            model: { path: \(Self.model), threads: 1 }
            steps:
              - { id: next, kind: continuation }
            output: { dir: \(root.path) }
            """.write(to: yaml, atomically: true, encoding: .utf8)
        let spec = try PipelineLoader.load(path: yaml.path)
        #expect { try PipelineModel.open(for: spec) } throws: { error in
            let message = "\(error)"
            return message.contains("4096") && message.contains("2048") && message.contains(yaml.path)
        }
    }

    /// The text as a double-quoted scalar (JSON's escapes are YAML's).
    private func jsonString(_ text: String) throws -> String {
        String(String(decoding: try JSONSerialization.data(withJSONObject: [text], options: .withoutEscapingSlashes), as: UTF8.self).dropFirst().dropLast())
    }
}
