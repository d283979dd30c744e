import Foundation
import Testing
import TestSupport

/// `inspect` as a user runs it: the real binary on the reference models.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
struct InspectCommandTests {
    func inspect(_ arguments: [String]) throws -> Executables.Result {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        return try Executables.run(binary, ["inspect"] + arguments)
    }

    @Test func jsonFactsForEachLayout() throws {
        let cases = [("models/random/falcon7b-mqa-parallel", "mqa-parallel", 1), ("models/random/falcon40b-gqa-newdecoder", "new-decoder", 2),
                     ("models/random/falcon-mha-parallel", "mha-parallel", 4), ("models/random/falconrw-alibi-sequential", "alibi-sequential", 4)]
        for (folder, layout, kvHeads) in cases {
            let path = try #require(SharedFiles.url("reference/\(folder)")).path
            let result = try inspect([path, "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
            #expect(object["layout"] as? String == layout)
            #expect(object["kv_heads"] as? Int == kvHeads && object["hidden_size"] as? Int == 64 && object["layers"] as? Int == 2)
            #expect(object["format"] as? String == "safetensors" && object["tied_embeddings"] as? Bool == true)
            #expect(result.stdoutText.filter { $0 == "\n" }.count == 1, "one JSON object on one line")
        }
    }

    @Test func ggufReportAndHumanText() throws {
        let path = try #require(SharedFiles.url("reference/gguf/claire-tiny-fr.Q4_K_M.gguf")).path
        let json = try inspect([path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(object["tensors_by_type"] as? [String: Int] == ["F32": 14, "Q4_K": 16, "Q5_K": 8, "Q8_0": 1])
        #expect(object["parameters"] as? Int == 20_778_496 && object["file_bytes"] as? Int == 22_452_640)
        #expect(object["gguf_file_type"] as? Int == 15 && object["layer_norm_epsilon"] as? Double == 1e-5)
        let human = try inspect([path])
        #expect(human.status == 0 && human.stdout.isEmpty, "the human report goes to stderr")
        #expect(human.stderr.contains("Falcon-7B style") && human.stderr.contains("Q4_K ×16"))
    }

    @Test func gptqFolderShowsBitsGroupAndActOrder() throws {
        let path = try #require(SharedFiles.url("reference/gptq/claire-tiny-fr-gptq-4bit-128g-actorder_True")).path
        let json = try inspect([path, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let gptq = try #require(object["gptq"] as? [String: Any])
        #expect(gptq["bits"] as? Int == 4 && gptq["group_size"] as? Int == 128 && gptq["act_order"] as? Bool == true)
        #expect(gptq["sym"] as? Bool == true && gptq["checkpoint_format"] as? String == "gptq")
        #expect(gptq["layouts"] as? [String: Int] == ["Q4_0": 24])
        let human = try inspect([path])
        #expect(human.stderr.contains("GPTQ 4-bit, group 128, act-order on, symmetric"), "\(human.stderr)")
    }

    @Test func badModelIsOneLineError() throws {
        let result = try inspect(["/nonexistent/model.gguf"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: /nonexistent/model.gguf: no such file or directory\n")
    }
}
