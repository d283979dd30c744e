import Foundation
import Testing
import TestSupport
@testable import Transcripts

/// Exact counts for the WebVTT samples, taken with grep over the files: spec-example.vtt has 13 cues, each with one
/// `<v …>` voice (11 Roger Bingham, 2 Neil deGrasse Tyson), and hours-less times; sample.vtt has 16 cues, no voices.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
struct WebVTTSampleCountTests {
    func load(_ path: String) throws -> Transcript {
        try TranscriptLoader().load(path: try #require(SharedFiles.url("samples/\(path)")).path)
    }

    @Test func specExampleVoicesAndHourlessTimes() throws {
        let t = try load("webvtt/spec-example.vtt")
        #expect(t.format == .vtt && t.turns.count == 13 && t.speakers.count == 2)
        let first = try #require(t.turns.first)
        #expect(first.text == "We are in New York City" && first.start == 11 && first.end == 13)
        #expect(t.speaker(withID: first.speaker)?.name == "Roger Bingham")
    }

    @Test func sampleWithoutVoicesIsOneUnknownSpeaker() throws {
        let t = try load("webvtt/sample.vtt")
        #expect(t.format == .vtt && t.turns.count == 16 && t.speakers.count == 1 && t.speakers[0].name == nil)
        #expect(t.turns.first?.text == "Caption text #1" && t.turns.first?.start == 0.5 && t.turns.first?.end == 7)
    }
}
