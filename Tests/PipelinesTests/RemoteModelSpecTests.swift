import Foundation
import Testing
@testable import Pipelines

/// `model.backend: tgi | openai` and its fields, as the loader reads and checks them.
@Suite struct RemoteModelSpecTests {
    static func pipeline(model: String) -> String {
        """
        name: test
        input: { paths: [in] }
        model:
        \(model.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        steps:
          - { id: go, kind: continuation, generation: { max_new_tokens: 16 } }
        output: { dir: out }
        """
    }

    static func load(_ model: String) throws -> PipelineSpec {
        try PipelineLoader.decode(try YAMLParser.parse(pipeline(model: model), file: "p.yaml"), file: "p.yaml", checkModelExists: false)
    }

    static func problems(_ model: String) -> [String] {
        do {
            _ = try load(model)
            return []
        } catch let error as PipelineError {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func remoteFieldsAreRead() throws {
        let spec = try Self.load("""
            backend: openai
            url: http://gpu-box:8000/
            tokenizer: tok/tokenizer.json
            api_key_env: CLAIRE_KEY
            concurrency: 16
            timeout: 2m
            retries: 2
            check_tokenizer: false
            """)
        let remote = try #require(spec.model.remote)
        #expect(remote.backend == .openai && remote.url == "http://gpu-box:8000" && remote.apiKeyEnv == "CLAIRE_KEY")
        #expect(remote.concurrency == 16 && remote.timeoutSeconds == 120 && remote.attempts == 3 && !remote.checkTokenizer)
        #expect(spec.model.path == "tok/tokenizer.json")
    }

    @Test func defaultsAndPathAsTokenizer() throws {
        let spec = try Self.load("backend: tgi\nurl: https://tgi.example\npath: models/claire.gguf")
        let remote = try #require(spec.model.remote)
        #expect(remote.concurrency == 4 && remote.timeoutSeconds == 120 && remote.attempts == 5 && remote.checkTokenizer && remote.apiKeyEnv == nil)
        #expect(spec.model.path == "models/claire.gguf")
        // The in-process form is unchanged.
        let local = try Self.load("path: models/claire.gguf\nbatch: 4")
        #expect(local.model.remote == nil && local.model.batch == 4)
    }

    @Test func mistakesAreReportedWithTheirPlace() {
        #expect(Self.problems("backend: tgi\nurl: http://x") == [
            "p.yaml:4:3: model.backend tgi needs model.tokenizer: a tokenizer.json, a .gguf or a model folder holding Falcon's tokenizer (windows are counted here, e.g. Samples/models/claire-tiny-fr.Q8_0.gguf, whose tokenizer is Claire's)",
        ])
        #expect(Self.problems("backend: tgi\nurl: ftp://x\ntokenizer: t.json") == ["p.yaml:5:8: model.url 'ftp://x' is not an http:// or https:// URL with a host"])
        #expect(Self.problems("backend: vllm\nurl: http://x\ntokenizer: t.json") == ["p.yaml:4:12: model.backend: unknown value 'vllm'; expected one of engine, tgi, openai"])
        #expect(Self.problems("path: m.gguf\nurl: http://x") == ["p.yaml:5:8: model.url applies to a remote backend only; set model.backend to tgi or openai"])
        #expect(Self.problems("backend: tgi\nurl: http://x\ntokenizer: t.json\ntimeout: 120").first?.contains("model.timeout: bad duration '120'") == true)
        #expect(Self.problems("backend: tgi\nurl: http://x\ntokenizer: t.json\nconcurrency: 0").count == 1)
    }
}
