import Foundation
import Testing
import TestSupport
@testable import Transcripts

struct WhisperJSONReaderTests {
    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"), arguments: [
        ("bonjour_vous_allez_bien.mp3.words.json", 2), ("radio_short.mp3.words.json", 11),
    ])
    func openAIWhisperSamples(_ name: String, segments: Int) throws {
        let transcript = try TranscriptLoader().load(path: try #require(SharedFiles.url("samples/whisper-json/\(name)")).path)
        #expect(transcript.format == .whisper)
        #expect(transcript.turns.count == segments)
        #expect(transcript.speakers.count == 1 && transcript.speakers[0].name == nil)
        #expect(transcript.turns[0].start != nil)
    }

    @Test func whisperXSpeakersFromSegmentsOrWords() throws {
        let json = """
            {"segments": [
              {"start": 0.0, "end": 1.5, "text": " Bonjour à vous.", "speaker": "SPEAKER_00"},
              {"start": 1.6, "end": 2.0, "text": " Merci.", "words": [{"word": "Merci.", "speaker": "SPEAKER_01"}]},
              {"start": 2.1, "end": 3.0, "text": " Alors on commence ?", "speaker": "SPEAKER_00"}
            ]}
            """
        let transcript = try WhisperJSONReader().read(data: Data(json.utf8), source: "x.json")
        #expect(transcript.turns.map(\.speaker) == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"])
        #expect(Normalizer().normalize(transcript).rendered() == "[Intervenant 1:] Bonjour à vous.\n[Intervenant 2:] Merci.\n[Intervenant 1:] Alors on commence ?")
    }

    @Test func brokenJSONIsOneLine() {
        #expect { try WhisperJSONReader().read(data: Data("{\"segments\": [ {\"text\": \"a\",".utf8), source: "cut.json") } throws: {
            "\($0)".hasPrefix("cut.json: invalid JSON") && !"\($0)".contains("\n")
        }
        #expect { try WhisperJSONReader().read(data: Data("{\"text\": \"a\"}".utf8), source: "t.json") } throws: { "\($0)".contains("segments") }
    }
}
