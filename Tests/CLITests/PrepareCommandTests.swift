import Foundation
import Testing
import TestSupport

/// `prepare` as a user runs it: the real binary on files written here, the bundled tokenizer.
struct PrepareCommandTests {
    static let tokenizer = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf").path

    func prepare(_ arguments: [String]) throws -> Executables.Result {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        return try Executables.run(binary, ["prepare", "--tokenizer", Self.tokenizer] + arguments)
    }

    func write(_ text: String, _ name: String, in root: URL) throws -> String {
        let url = root.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The choices are ArgumentParser's to check: a wrong one is a usage error (64) listing the valid values.
    @Test(arguments: [("--speakers", "nobody", "'named', 'intervenant', 'dash' or 'none'"), ("--casing", "upper", "'keep', 'lower' or 'asr'"),
                      ("--events", "all", "'drop' and 'keep'"), ("--format", "docx", "- kaldi")])
    func aWrongChoiceListsTheValidOnes(option: String, value: String, listed: String) throws {
        let result = try prepare(["unused.vtt", option, value])
        #expect(result.status == 64)
        #expect(result.stderr.contains("'\(value)' is invalid for '\(option)") && result.stderr.contains(listed), "\(result.stderr)")
    }

    @Test func jsonLinesWithTheDesignFields() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("prepare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let vtt = try write("WEBVTT\n\n00:01.000 --> 00:02.500\n<v Camille Durand>Bonjour à tous.\n\n00:03.000 --> 00:04.000\n<v SPEAKER_01>Salut !\n", "a.vtt", in: root)
        let result = try prepare([vtt, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.count == 1, "one JSON object per file")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["source"] as? String == vtt && object["format"] as? String == "vtt")
        #expect((object["speakers"] as? [[String: Any]])?.count == 2)
        let turns = try #require(object["turns"] as? [[String: Any]])
        #expect(turns.map { $0["speaker"] as? String } == ["[Camille Durand:]", "[Intervenant 2:]"])
        #expect(turns.first?["start"] as? Double == 1.0 && turns.first?["end"] as? Double == 2.5)
        let windows = try #require(object["windows"] as? [[String: Any]])
        #expect(windows.count == 1)
        #expect(windows[0]["text"] as? String == "[Camille Durand:] Bonjour à tous.\n[Intervenant 2:] Salut !")
        #expect(windows[0]["first_turn"] as? Int == 0 && windows[0]["last_turn"] as? Int == 1 && (windows[0]["tokens"] as? Int ?? 0) > 5)
    }

    @Test func aBadFileIsReportedAndTheGoodOneStillPrinted() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("prepare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let bad = try write("<?xml version=\"1.0\"?>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\">\n<u who=\"#a\">oui</sp>\n</TEI>", "bad.xml", in: root)
        let good = try write("SPEAKER_00: Bonjour.\nSPEAKER_01: Bonsoir.\nSPEAKER_00: Au revoir.\n", "good.txt", in: root)
        let result = try prepare([bad, good, "--speakers", "intervenant", "--window", "64", "--reserve", "8"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: \(bad):3:"), "\(result.stderr)")
        #expect(result.stdoutText.contains("good.txt · window 1/1"))
        #expect(result.stdoutText.contains("[Intervenant 1:] Bonjour.\n[Intervenant 2:] Bonsoir.\n[Intervenant 1:] Au revoir."))
    }
}
