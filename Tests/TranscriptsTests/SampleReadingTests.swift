import Foundation
import Testing
import TestSupport
@testable import Transcripts

/// Every real sample in ../shared/samples of a format we read: detected as that format, with the speakers
/// and the number of turns counted independently (Python's ElementTree over the same files, see the
/// closing note of issue 4), and a few exact texts.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
struct SampleReadingTests {
    func load(_ path: String) throws -> Transcript {
        try TranscriptLoader().load(path: try #require(SharedFiles.url("samples/\(path)")).path)
    }

    @Test(arguments: [
        ("tei-drama/courteline-allo.xml", 45, 7),
        ("tei-drama/cros-hareng-saur.xml", 1, 1),
        ("tei-drama/marivaux-jeu-de-l-amour-et-du-hasard.xml", 721, 7),
        ("tei-drama/moliere-misanthrope.xml", 505, 11),
        ("tei-speech/DOC_FR_2020_CHOIX_5.trs.tei_corpo.xml", 30, 4),  // 32 blocks, 2 of them only {rire}
        ("tei-speech/ESLO1_ENT_012_C.trs.tei_corpo.xml", 596, 2),
    ])
    func teiSamples(_ path: String, turns: Int, speakers: Int) throws {
        let transcript = try load(path)
        #expect(transcript.format == .tei)
        // Python counted turns with words; a turn holding only an event mark (`[pi]`) is kept by the reader for
        // the normalizer to drop or keep.
        let withWords = transcript.turns.filter { Self.hasWordsOutsideBrackets($0.text) }
        #expect(withWords.count == turns, "\(path)")
        // Speakers of simultaneous turns are listed once each.
        #expect(transcript.speakers.count == speakers, "\(path): \(transcript.speakers.map(\.id))")
    }

    static func hasWordsOutsideBrackets(_ text: String) -> Bool {
        var depth = 0
        for c in text {
            if c == "[" { depth += 1 } else if c == "]" { depth = max(0, depth - 1) } else if depth == 0, !c.isWhitespace { return true }
        }
        return false
    }

    @Test(arguments: [
        ("transcriber-trs/Conversation_MAT_08.trs", 176, ["spk1", "spk2"]),
        ("transcriber-trs/DOC_FR_2020_RENCONTRE_example.trs", 168, ["spk1", "spk2"]),
        ("transcriber-trs/frint980428.trs", 5, ["sp1", "sp2"]),
        ("transcriber-trs/test1.trs", 1, ["spk1"]),
    ])
    func transcriberSamples(_ path: String, turns: Int, speakers: [String]) throws {
        let transcript = try load(path)
        #expect(transcript.format == .trs)
        #expect(transcript.turns.count == turns, "\(path)")
        #expect(Set(transcript.speakers.map(\.id)) == Set(speakers), "\(path)")
    }

    @Test func dramaKeepsVerseAndDropsStageDirections() throws {
        let allo = try load("tei-drama/courteline-allo.xml")
        #expect(allo.turns[0].text.contains("Deux six et un as !"))
        #expect(!allo.turns[1].text.contains("Il joue."), "stage directions are not speech")
        #expect(allo.speaker(withID: "pancreas")?.name != nil)
        let misanthrope = try load("tei-drama/moliere-misanthrope.xml")
        #expect(misanthrope.turns.contains { $0.overlaps && $0.speaker.contains(" ") }, "one <sp> spoken by several characters")
    }

    @Test func transcriberNamesTimesAndLatin1() throws {
        let news = try load("transcriber-trs/frint980428.trs")
        #expect(news.speakers.compactMap(\.name).sorted() == ["Patricia Martin", "Simon Tivolle"])
        #expect(news.turns[0].start != nil && news.turns[0].end != nil)
        let dialogue = Normalizer(options: NormalizationOptions(speakers: .named)).normalize(news)
        #expect(dialogue.turns.first?.tag == "[Simon Tivolle:]")
    }

    @Test func teiCorpoTimesComeFromTheTimeline() throws {
        let choix = try load("tei-speech/DOC_FR_2020_CHOIX_5.trs.tei_corpo.xml")
        #expect(choix.turns[0].start == 2.75)
        #expect(choix.speaker(withID: "L1")?.name == "Mélanie")
        #expect(!choix.turns[0].text.contains("::") && !choix.turns[0].text.contains("{"))
    }

    @Test func subtitleAndTextSamples() throws {
        let spec = try load("webvtt/spec-example.vtt")
        #expect(spec.format == .vtt)
        #expect(Set(spec.speakers.compactMap(\.name)) == ["Roger Bingham", "Neil deGrasse Tyson"])
        let srt = try load("srt/sample.srt")
        #expect(srt.format == .srt && srt.turns.count == 5)
        let plain = try load("plaintext/Input-correct-from-Spec.txt")
        #expect(plain.format == .text && !plain.turns.isEmpty)
    }
}

/// TextGrid and ELAN samples; counts from Python over the same files (non-empty intervals of speech tiers,
/// non-empty aligned annotations of speaker tiers).
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
struct TierSampleTests {
    func load(_ path: String) throws -> Transcript {
        try TranscriptLoader().load(path: try #require(SharedFiles.url("samples/\(path)")).path)
    }

    @Test func textGridWithOneTierPerSpeaker() throws {
        let t = try load("praat-textgrid/Anita_MUSSO_F_46_11e-v2.TextGrid")
        #expect(t.format == .textgrid && t.turns.count == 556)
        #expect(t.speakers.map(\.id) == ["Sonia Branca-Rosoff (ENQ)", "Anita Musso"])
        #expect(zip(t.turns, t.turns.dropFirst()).allSatisfy { ($0.start ?? 0) <= ($1.start ?? 0) }, "turns in time order")
        #expect(Set(Normalizer().normalize(t).tags) == ["[Sonia Branca-Rosoff:]", "[Anita Musso:]"], "the role in parentheses is not part of the tag")
    }

    @Test func textGridWithTranscriptionAndSpeakerTiers() throws {
        let t = try load("praat-textgrid/FOR_DIA.TextGrid")
        #expect(t.turns.count == 24, "the ortho tier, not phones/syll/words")
        #expect(Set(t.speakers.map(\.id)) == ["L1", "L2", "L3"])
        #expect(t.turns.prefix(2).map(\.text).joined(separator: " ") == "maman je veux un croissant")
    }

    @Test(arguments: [
        ("elan-eaf/DOC_FR_2020_CHOIX_5.eaf", 44, ["Eloise", "Mélanie", "Rou"]),
        ("elan-eaf/TestElan1.eaf", 1237, ["CAM", "SpL", "SpR"]),
        ("elan-eaf/essai-orig.eaf", 1, ["default"]),
    ])
    func elanSamples(_ path: String, turns: Int, speakers: [String]) throws {
        let t = try load(path)
        #expect(t.format == .eaf && t.turns.count == turns)
        #expect(Set(t.speakers.map(\.id)) == Set(speakers))
    }

    @Test func shortTextGridAndUTF16() throws {
        let short = "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\n0\n2.5\n<exists>\n1\n\"IntervalTier\"\n\"Camille\"\n0\n2.5\n2\n0\n1.2\n\"bonjour \"\"toi\"\"\"\n1.2\n2.5\n\"\"\n"
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(short.data(using: .utf16LittleEndian)!)
        for data in [Data(short.utf8), utf16] {
            let t = try TextGridReader().read(data: data, source: "s.TextGrid")
            #expect(t.turns.map(\.text) == ["bonjour \"toi\""] && t.turns[0].end == 1.2)
        }
        #expect { try TextGridReader().read(data: Data(short.prefix(120).utf8), source: "cut.TextGrid") } throws: { "\($0)".hasPrefix("cut.TextGrid:") }
    }
}

/// CHAT, ORFEO and Kaldi samples; counts by grep (`^*` utterance lines, `# sent_id` sentences, `text` lines).
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
struct LineFormatSampleTests {
    func load(_ path: String) throws -> Transcript {
        try TranscriptLoader().load(path: try #require(SharedFiles.url("samples/\(path)")).path)
    }

    @Test(arguments: [("chat-cha/60.cha", 29, 2), ("chat-cha/TestClan1.cha", 1167, 3)])
    func chatSamples(_ path: String, utterances: Int, speakers: Int) throws {
        let t = try load(path)
        #expect(t.format == .chat && t.turns.count == utterances && t.speakers.count == speakers)
    }

    @Test func chatCodesBecomeWords() {
        #expect(CHATReader.clean("&-euh je [//] je veux <du pain> [/] du pain &=rit xxx (.) maman@f +...") == "euh je je veux du pain du pain [rit] maman")
    }

    @Test(arguments: [("orfeo-conll/60secondes.orfeo", 29), ("orfeo-conll/Cha_hey_07.orfeo", 259)])
    func orfeoSamples(_ path: String, sentences: Int) throws {
        let t = try load(path)
        #expect(t.format == .orfeo && t.turns.count == sentences)
        #expect(t.turns[0].start != nil)
    }

    @Test func kaldiDirectory() throws {
        let t = try load("kaldi/small")
        #expect(t.format == .kaldi && t.turns.count == 8 && t.speakers.count == 6)
        #expect(t.turns.allSatisfy { !$0.text.contains("<") })
        // Kaldi speaker ids are labels, not names.
        #expect(Normalizer().normalize(t).tags.allSatisfy { $0.hasPrefix("[Intervenant ") })
    }
}

/// The remaining samples: word-level subtitle and text files, header-only TEI, and RTTM (no words).
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"))
struct RemainingSampleTests {
    func load(_ path: String) throws -> Transcript {
        try TranscriptLoader().load(path: try #require(SharedFiles.url("samples/\(path)")).path)
    }

    @Test func wordLevelASRFilesAndSpeakerPrefixedText() throws {
        for path in ["webvtt/punctuations.mp3.words.vtt", "srt/punctuations.mp3.words.srt", "plaintext/punctuations.mp3.txt"] {
            let t = try load(path)
            #expect(t.speakers.count == 1 && t.speakers[0].name == nil, "\(path)")
            #expect(Normalizer().normalize(t).rendered().hasPrefix("[Intervenant 1:] Dis-moi, est-ce que l'avion vole ?"), "\(path)")
        }
        let spec = try load("plaintext/Input-correct-from-Spec.txt")
        #expect(spec.format == .text && spec.turns.count >= 10)
        // `TOM` and `tom` are one speaker once Claire's capitalization applies.
        #expect(Normalizer().normalize(spec).tags.contains("[Tom:]"))
    }

    @Test func filesWithoutWordsGiveClearErrors() {
        #expect { try load("rttm/sample.rttm") } throws: { "\($0)".contains("RTTM") && "\($0)".contains("no words") }
        #expect { try load("orfeo-conll/Cha_hey_07.xml") } throws: { "\($0)".contains("Cha_hey_07.xml: a TEI header without a transcript") }
    }
}
