import Foundation
import Testing
@testable import Transcripts

/// Bad input of every kind: a one-line error naming the file (and where), fast, never a crash or an expansion.
struct HostileInputTests {
    func load(_ bytes: Data, name: String, format: TranscriptFormat? = nil) throws -> Transcript {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)-\(name)")
        defer { try? FileManager.default.removeItem(at: url) }
        try bytes.write(to: url)
        return try TranscriptLoader().load(path: url.path, format: format)
    }

    func message(_ text: String, name: String, format: TranscriptFormat? = nil) -> String {
        do { _ = try load(Data(text.utf8), name: name, format: format); return "no error" } catch { return "\(error)" }
    }

    @Test func externalEntitiesAreNeverFetched() throws {
        let xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE TEI [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY web SYSTEM "http://example.invalid/x">]>
            <TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><u who="#a">bonjour &secret; &web; fin</u></body></text></TEI>
            """
        let transcript = try load(Data(xxe.utf8), name: "xxe.xml")
        #expect(transcript.turns.count == 1)
        #expect(!transcript.turns[0].text.contains("root:"), "the file's content must not appear")
        #expect(transcript.turns[0].text.contains("bonjour") && transcript.turns[0].text.contains("fin"))
    }

    @Test func billionLaughsDoesNotExpand() throws {
        var doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE TEI [\n<!ENTITY lol0 \"lol\">\n"
        for i in 1...10 { doc += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i - 1);", count: 10) + "\">\n" }
        doc += "]>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><text><body><u who=\"#a\">rire &lol10; fin</u></body></text></TEI>"
        let start = Date()
        let result = Result { try load(Data(doc.utf8), name: "lol.xml") }
        #expect(Date().timeIntervalSince(start) < 5)
        if case .success(let transcript) = result { #expect(transcript.turns.map(\.text).joined().count < 1000) }
    }

    @Test func malformedXMLNamesLineAndColumn() {
        let text = message("<?xml version=\"1.0\"?>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\">\n<text><body><u who=\"#a\">oui</sp>\n</body></text></TEI>", name: "bad.xml")
        #expect(text.contains("bad.xml:3:"), "\(text)")
        #expect(!text.contains("\n"))
    }

    @Test func truncatedAndGarbageAndEmpty() {
        let truncated = message("<?xml version=\"1.0\"?>\n<Trans><Speakers><Speaker id=\"s\" name=\"A\"/></Speakers><Episode><Section><Turn speaker=\"s\">bonjour", name: "cut.trs")
        #expect(truncated.contains("cut.trs:") && truncated.contains("malformed XML"), "\(truncated)")
        var garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) })
        garbage[10] = 0
        let binary = (try? load(garbage, name: "noise.bin")).map { _ in "no error" } ?? "error"
        #expect(binary == "error")
        #expect(message("", name: "empty.txt").contains("empty.txt"))
    }

    @Test func latin1TranscriberIsDecodedAsDeclared() throws {
        var bytes = Data("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Trans><Speakers><Speaker id=\"s1\" name=\"Zo".utf8)
        bytes.append(0xE9)  // é in Latin-1
        bytes.append(Data("\"/></Speakers><Episode><Section><Turn speaker=\"s1\" startTime=\"0\" endTime=\"1\"><Sync time=\"0\"/>d".utf8))
        bytes.append(0xE9)
        bytes.append(Data("j".utf8))
        bytes.append(0xE0)
        bytes.append(Data(" vu</Turn></Section></Episode></Trans>".utf8))
        let transcript = try load(bytes, name: "latin1.trs")
        #expect(transcript.speakers.first?.name == "Zoé")
        #expect(transcript.turns.first?.text == "déjà vu")
    }

    @Test func invalidUTF8InTextNamesTheByte() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).txt")
        try? Data([0x41, 0x3A, 0x20, 0x6F, 0x6B, 0x0A, 0x42, 0x3A, 0x20, 0xC3, 0x28]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: TranscriptError.self) { try TranscriptLoader().load(path: url.path) }
        let text = (try? TranscriptLoader().load(path: url.path)).map { _ in "" } ?? { do { _ = try TranscriptLoader().load(path: url.path); return "" } catch { return "\(error)" } }()
        #expect(text.contains("byte 9"), "\(text)")
    }

    @Test func oversizedFileIsRefusedBeforeReading() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: url) }
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 1 << 30)  // a sparse 1 GB file
        try handle.close()
        #expect { try TranscriptLoader().load(path: url.path) } throws: { "\($0)".contains("larger than") }
    }

    @Test func subtitleTimingErrorsNameTheLine() {
        let text = message("WEBVTT\n\n00:01.000 --> 00:xx.000\n<v A>bonjour\n", name: "t.vtt")
        #expect(text.contains("t.vtt:3:1: malformed cue timing"), "\(text)")
        let srt = message("1\n00:00:01,000 --> 00:00:02,000\n- Tu viens ?\n- Oui.\n\n2\n00:00:03,000 --> 00:00:04,000\nSPEAKER_01: Alors ?\n", name: "d.srt")
        #expect(srt == "no error")
    }
}
