import Foundation
import Testing
@testable import Transcripts

/// Claire's normalization rules (those of its training data), with the examples of Claire's own tests.
struct NormalizerTests {
    func transcript(_ turns: [(String, String)], names: [String: String] = [:]) -> Transcript {
        var ids: [String] = []
        for (id, _) in turns where !ids.contains(id) { ids.append(id) }
        return Transcript(source: "t", format: .text, speakers: ids.map { Speaker(id: $0, name: names[$0]) },
                          turns: turns.map { Turn(speaker: $0.0, text: $0.1) })
    }

    @Test func namesAreCapitalizedLikeClairesTrainingText() {
        #expect(SpeakerNames.capitalize("claude-marie JR Michel") == "Claude-Marie JR Michel")
        #expect(SpeakerNames.capitalize("d'estaing") == "D'Estaing")
        #expect(SpeakerNames.capitalize("JEAN") == "Jean")
        #expect(SpeakerNames.capitalize("M. Jean-Marie") == "M. Jean-Marie")
        #expect(SpeakerNames.capitalize("Dr. Docteur JR") == "Dr. Docteur JR")
    }

    @Test func diarizationLabelsAreAnonymous() {
        for label in ["SPEAKER_00", "spk1", "speaker001", "L1", "S2", "Locuteur 3", "#12", "A"] { #expect(SpeakerNames.isAnonymous(label), "\(label)") }
        for label in ["Camille", "M. Hide", "Harpagon", "Jean Dupont"] { #expect(!SpeakerNames.isAnonymous(label), "\(label)") }
    }

    /// The label rules as the regular expressions they were first written as, against the hand-written matcher.
    @Test func anonymousLabelsMatchTheirPatterns() throws {
        let patterns = try [
            #"^#?speaker[ _-]?\d+$"#, #"^#?spk[ _-]?\d+$"#, #"^#?(l|s|loc|spk|speaker)\d+$"#,
            #"^#?(locuteur|intervenant|interlocuteur|participant)[ _-]?\d+$"#, #"^#?\d+$"#, #"^[a-z]$"#,
            #"^#?unknown[ _-]?\d*$"#, #"^#?inconnu[ _-]?\d*$"#, #"^speaker$"#, #"^dash-\d$"#,
        ].map { try NSRegularExpression(pattern: $0) }
        let labels = ["SPEAKER_00", "speaker", "#speaker", "speaker-", "speaker 7", "Speaker_12x", "spk", "spk_3", "SPK-04", "L", "L1", "l12", "S",
                      "s3", "s-3", "loc", "loc2", "loc_2", "Locuteur", "locuteur-9", "locuteur_", "Intervenant 4", "intervenant4", "interlocuteur 1",
                      "Participant_2", "participant", "#12", "12", "#", "", "  ", "A", "z", "#a", "é", "ab", "unknown", "UNKNOWN_", "unknown 3",
                      "unknown3x", "#inconnu", "inconnu-2", "inconnue", "dash-1", "dash-12", "dash-", "#dash-1", "Harpagon", "Lucile", "Sganarelle",
                      "M. Hide", "Jean Dupont", "L'Épine", "S1 S2", " spk1 "]
        for label in labels {
            let trimmed = label.trimmingCharacters(in: .whitespaces).lowercased()
            let range = NSRange(trimmed.startIndex..., in: trimmed)
            let expected = trimmed.isEmpty || patterns.contains { $0.firstMatch(in: trimmed, range: range) != nil }
            #expect(SpeakerNames.isAnonymous(label) == expected, "\(label)")
        }
    }

    @Test func namedTagsAndIntervenantNumbersByFirstAppearance() {
        let t = transcript([("SPEAKER_01", "Bonjour."), ("harpagon", "Au voleur !"), ("SPEAKER_00", "Quoi ?")], names: ["harpagon": "HARPAGON"])
        let named = Normalizer(options: NormalizationOptions(speakers: .named)).normalize(t)
        #expect(named.rendered() == "[Intervenant 1:] Bonjour.\n[Harpagon:] Au voleur !\n[Intervenant 3:] Quoi ?")
        let anonymous = Normalizer(options: NormalizationOptions(speakers: .intervenant)).normalize(t)
        #expect(anonymous.rendered() == "[Intervenant 1:] Bonjour.\n[Intervenant 2:] Au voleur !\n[Intervenant 3:] Quoi ?")
    }

    @Test func dashOnlyForTwoSpeakersOtherwiseFallsBackAndSaysSo() {
        let two = transcript([("a", "Tu viens ?"), ("b", "Oui.")])
        #expect(Normalizer(options: NormalizationOptions(speakers: .dash)).normalize(two).rendered() == "- Tu viens ?\n- Oui.")
        let three = transcript([("a", "Un."), ("b", "Deux."), ("c", "Trois.")])
        let dialogue = Normalizer(options: NormalizationOptions(speakers: .dash)).normalize(three)
        #expect(dialogue.turns.first?.tag == "[Intervenant 1:]")
        #expect(dialogue.notes.count == 1 && dialogue.notes[0].contains("3 found"))
    }

    @Test func eventsEmptyTurnsAndMerging() {
        // Claire's test: "Je chante [SINGING]?" keeps its French space; an event-only turn disappears and the
        // same speaker's neighbours merge.
        let t = transcript([("a", "Je chante [SINGING]?"), ("b", "[LAUGHTER]"), ("a", "Encore [NOISE], toujours.")])
        let dropped = Normalizer().normalize(t)
        #expect(dropped.rendered() == "[Intervenant 1:] Je chante ? Encore, toujours.")
        let kept = Normalizer(options: NormalizationOptions(events: .keep)).normalize(t)
        #expect(kept.rendered() == "[Intervenant 1:] Je chante [singing] ?\n[Intervenant 2:] [laughter]\n[Intervenant 1:] Encore [noise], toujours.")
    }

    @Test func casingLowerAndASR() {
        let t = transcript([("a", "Tu me fais rire. Je chante !"), ("b", "Il y a un bruit : je l'ai dit à Ted…")])
        #expect(Normalizer(options: NormalizationOptions(speakers: .intervenant, casing: .lower)).normalize(t).rendered()
                == "[Intervenant 1:] tu me fais rire. je chante !\n[Intervenant 2:] il y a un bruit : je l'ai dit à ted...")
        // Claire's ASR-like example.
        #expect(Normalizer(options: NormalizationOptions(speakers: .intervenant, casing: .asr)).normalize(t).rendered()
                == "[Intervenant 1:] tu me fais rire je chante\n[Intervenant 2:] il y a un bruit je l'ai dit à ted")
    }

    @Test func typographyAsClairesInferenceNormalizer() {
        let t = transcript([("a", "« Bonjour » — c’est le 1ᵉʳ\u{00A0}mai… \u{0007}“vraiment”")])
        #expect(Normalizer().normalize(t).turns[0].text == "\"Bonjour\" — c'est le 1er mai... \"vraiment\"")
    }
}
