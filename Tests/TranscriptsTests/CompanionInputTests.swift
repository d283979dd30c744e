import Foundation
import Testing
import TestSupport
@testable import Transcripts

/// Files read together (`TranscriptInputs`): an ORFEO `.orfeo` with its TEI header, a Whisper JSON with
/// the RTTM of the same recording.
struct CompanionInputTests {
    static func fixture(_ name: String) -> URL {
        SharedFiles.repository("Tests/TranscriptsTests/Fixtures/\(name)")
    }

    /// A scratch folder holding copies of `files` (source → name in the folder).
    static func folder(_ files: [(URL, String)]) throws -> URL {
        let directory = try TemporaryFiles.makeDirectory(prefix: "claire-companions")
        for (source, name) in files {
            try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent(name))
        }
        return directory
    }

    static func paths(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map { directory.appendingPathComponent($0).path }
    }

    @Test func orfeoWithItsHeaderIsOneInput() throws {
        let directory = try Self.folder([(Self.fixture("orfeo/Cha_hey_07.orfeo"), "Cha_hey_07.orfeo"), (Self.fixture("orfeo/Cha_hey_07.xml"), "Cha_hey_07.xml")])
        defer { TemporaryFiles.remove(directory) }
        let inputs = TranscriptInputs.group(try Self.paths(in: directory))
        #expect(inputs.count == 1)
        #expect(inputs.first?.header?.hasSuffix("Cha_hey_07.xml") == true)
        let transcript = try TranscriptLoader().load(input: try #require(inputs.first))
        #expect(transcript.metadata["licence"] == "https://creativecommons.org/licenses/by-nc-sa/3.0")
        #expect(transcript.metadata["title"] == "Cha_hey_07")
        // L1 and L2 are anonymous in the header too: Intervenant tags, and no failure.
        #expect(Normalizer().normalize(transcript).tags == ["[Intervenant 1:]", "[Intervenant 2:]"])
        // A single file given alone finds its header beside it.
        #expect(TranscriptInputs.input(for: directory.appendingPathComponent("Cha_hey_07.orfeo").path).header != nil)
    }

    /// CFPP's header has another base name than its `.orfeo`; the sentence ids name the recording.
    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
    func orfeoHeaderFoundBySentenceID() throws {
        let samples = try #require(SharedFiles.url("samples/orfeo-conll"))
        let inputs = TranscriptInputs.group(try Self.paths(in: samples).filter { !$0.hasSuffix(".md") })
        #expect(inputs.count == 2, "\(inputs)")
        let cfpp = try #require(inputs.first { $0.path.hasSuffix("60secondes.orfeo") })
        #expect(cfpp.header?.hasSuffix("Anita_MUSSO_F_46_11e.xml") == true)
        let transcript = try TranscriptLoader().load(input: cfpp)
        #expect(transcript.speaker(withID: "Anita_Musso")?.name == "Anita Musso")
        let tags = Normalizer().normalize(transcript).tags
        #expect(tags.contains("[Anita Musso:]"), "\(tags)")
        #expect(tags.contains("[Sonia Branca-Rosoff:]"), "\(tags)")
    }

    @Test func aLoneHeaderSaysWhatItIs() throws {
        let directory = try Self.folder([(Self.fixture("orfeo/Cha_hey_07.xml"), "Cha_hey_07.xml")])
        defer { TemporaryFiles.remove(directory) }
        let error = #expect(throws: TranscriptError.self) { try TranscriptLoader().load(path: directory.appendingPathComponent("Cha_hey_07.xml").path) }
        #expect(error?.message.contains("TEI header without a transcript") == true)
    }

    /// ref.rttm beside the whisper-timestamped JSON, expected speakers from a brute-force Python run of the
    /// rule over every (word, segment) pair: "Bonjour !" overlaps speaker2 most (1.242 s against 0.958 s);
    /// "Est-ce" overlaps both by 0.24 s (tie: speaker1, first in the RTTM); "que" at 34.70–34.76 s overlaps
    /// nothing and goes to speaker1's segment ending 0.078 s before.
    @Test func whisperWordsTakeTheDiarizationSpeakers() throws {
        let directory = try Self.folder([
            (Self.fixture("diarization/bonjour_vous_allez_bien.mp3.words.json"), "bonjour_vous_allez_bien.mp3.words.json"),
            (Self.fixture("diarization/bonjour_vous_allez_bien.rttm"), "bonjour_vous_allez_bien.rttm"),
        ])
        defer { TemporaryFiles.remove(directory) }
        let inputs = TranscriptInputs.group(try Self.paths(in: directory))
        #expect(inputs.count == 1)
        let input = try #require(inputs.first)
        #expect(input.diarization?.hasSuffix(".rttm") == true)
        let transcript = try TranscriptLoader().load(input: input)
        #expect(transcript.turns.map(\.speaker) == ["speaker2", "speaker1", "speaker2", "speaker1"])
        #expect(transcript.turns.map(\.text) == ["Bonjour !", "Est-ce que vous allez bien ?", "Bonjour !", "Est-ce que vous allez bien ?"])
        #expect(transcript.turns[1].start == 1.92 && transcript.turns[1].end == 3.46)
    }

    /// radio_short (30.9–93.1 s) against ref.rttm (0–41.0 s): words past the diarization go to the nearest
    /// segment. Turn speakers and word counts (words of the turn text, so Whisper's "Verth-Bettancourt ?"
    /// counts two) from the same brute-force Python run.
    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
    func longerWhisperFileAgainstTheSampleRTTM() throws {
        let directory = try Self.folder([
            (try #require(SharedFiles.url("samples/whisper-json/radio_short.mp3.words.json")), "radio_short.mp3.words.json"),
            (try #require(SharedFiles.url("samples/rttm/ref.rttm")), "radio_short.rttm"),
        ])
        defer { TemporaryFiles.remove(directory) }
        let transcript = try TranscriptLoader().load(input: try #require(TranscriptInputs.group(try Self.paths(in: directory)).first))
        let shape = transcript.turns.map { "\($0.speaker):\($0.text.split(separator: " ").count)" }
        #expect(shape == ["speaker2:17", "speaker1:1", "speaker2:6", "speaker2:25", "speaker2:16", "speaker2:21", "speaker2:11",
                          "speaker2:24", "speaker2:33", "speaker2:22", "speaker2:15", "speaker2:1"])
    }

    @Test func rttmAloneIsAClearError() throws {
        let directory = try Self.folder([(Self.fixture("diarization/bonjour_vous_allez_bien.rttm"), "meeting.rttm")])
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("meeting.rttm").path
        #expect(TranscriptInputs.group([path]) == [TranscriptInput(path: path)])
        let error = #expect(throws: TranscriptError.self) { try TranscriptLoader().load(path: path) }
        #expect(error?.message.contains("no words: put the Whisper JSON of the same recording beside it") == true)
        #expect(error?.message.contains("meeting.json") == true)
    }

    @Test func rttmNamingOtherRecordingsIsAnError() throws {
        let rttm = Data("SPEAKER a 1 0.0 1.0 <NA> <NA> s1 <NA> <NA>\nSPEAKER b 1 0.0 1.0 <NA> <NA> s2 <NA> <NA>\n".utf8)
        let json = Data(#"{"segments": [{"start": 0.1, "end": 0.5, "text": "oui"}]}"#.utf8)
        let error = #expect(throws: TranscriptError.self) {
            try DiarizedWhisper.read(whisper: json, whisperSource: "x.json", rttm: rttm, rttmSource: "x.rttm")
        }
        #expect(error?.description == "x.rttm: holds the recordings a, b, none named 'x'")
    }
}
