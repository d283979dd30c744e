import Foundation
import Testing
import TestSupport
@testable import Transcripts

/// Corpus transcription marks reduced to words (`TranscriptionConventions`): fragments written from each
/// convention's documentation, real excerpts in Fixtures, and every sample in ../shared/samples.
struct ConventionTests {
    /// A one-turn transcript of `family`'s formats through the normalizer (ICOR is recognised from its text).
    func clean(_ text: String, _ family: TranscriptionConventions = .spokenCorpus, events: NormalizationOptions.Events = .drop) -> String {
        let transcript = Transcript(source: "t", format: family == .asr ? .whisper : .trs, speakers: [Speaker(id: "a")],
                                    turns: [Turn(speaker: "a", text: text)])
        #expect(TranscriptionConventions(for: transcript) == family)
        return Normalizer(options: NormalizationOptions(events: events)).normalize(transcript).turns.map(\.text).joined(separator: "\n")
    }

    // ESLO / Orléans and Transcriber in-text marks.
    @Test(arguments: [
        ("{rire}> d'accord> {rire} atypique>", "d'accord atypique", "[rire] d'accord [rire] atypique"),
        ("il y a un inconnu qui arrive et :: qui les", "il y a un inconnu qui arrive et qui les", "il y a un inconnu qui arrive et qui les"),
        ("c'est:: catégorique euh:: justement", "c'est catégorique euh justement", "c'est catégorique euh justement"),
        ("< oui > bon [anglais] so", "oui bon so", "oui bon [anglais] so"),
        ("il est xxx parti XXX", "il est parti", "il est [inaudible] parti [inaudible]"),
        ("je suis al- allé", "je suis allé", "je suis allé"),
        ("c' est l' omelette qu' il", "c'est l'omelette qu'il", "c'est l'omelette qu'il"),
    ])
    func eslo(_ raw: String, dropped: String, kept: String) {
        #expect(clean(raw) == dropped)
        #expect(clean(raw, events: .keep) == kept)
    }

    // TCOF: `+` pauses, `///`, `/x, y/` hesitations, `***`, `¤P1¤` anonymisation, `il(s)` optional letters.
    @Test(arguments: [
        ("et sinon ¤P1¤ + elle bosse", "et sinon elle bosse", "et sinon [nom] elle bosse"),
        ("on va la recommencer celle-là ///", "on va la recommencer celle-là", "on va la recommencer celle-là"),
        ("je sais pas rouler /les, des/ cigarettes", "je sais pas rouler les cigarettes", "je sais pas rouler les cigarettes"),
        ("< les /mecs,*/", "les mecs", "les mecs"),
        (" /ça détend,***/", "ça détend", "ça détend"),
        ("il(s) passai(en)t un peu", "ils passaient un peu", "ils passaient un peu"),
        ("c'est *** bien", "c'est bien", "c'est [inaudible] bien"),
        ("rien à voir av- > ouais", "rien à voir ouais", "rien à voir ouais"),
    ])
    func tcof(_ raw: String, dropped: String, kept: String) {
        #expect(clean(raw) == dropped)
        #expect(clean(raw, events: .keep) == kept)
    }

    // ORFEO/CEFC: `~` truncations (`qu-~`, `ét~`).
    @Test func orfeo() {
        #expect(clean("parce que c'était parce qu-~") == "parce que c'était parce")
        #expect(clean("j'ai ét~ j'ai été payée") == "j'ai j'ai été payée")
        #expect(clean("elle s'appelle madame NNAAMMEE et", events: .keep) == "elle s'appelle madame [nom] et")
        #expect(clean("ils avaient marqué monsieur NNAAMMEE", events: .keep) == "ils avaient marqué monsieur [nom]")
    }

    @Test func orfeoSentenceCutAfterAnElision() {
        let turns = ["ça va plus vite qu'", "à pieds"].map { Turn(speaker: "a", text: $0) }
        let transcript = Transcript(source: "t", format: .orfeo, speakers: [Speaker(id: "a")], turns: turns)
        #expect(Normalizer().normalize(transcript).turns.map(\.text) == ["ça va plus vite qu'à pieds"])
    }

    // CLAPI/ICOR: `[` `]` overlaps around words, `(.)` pauses, `((rire))`, `°` low voice, `=` latching,
    // `:` lengthening, `↑` intonation, `(mot)` uncertain hearing.
    @Test func icor() {
        let text = "ben [oui] (.) je sais pa:s ((rire)) °enfin° c'est= =ça ↑ (0.5) (peut-être)"
        #expect(clean(text, .icor) == "ben oui je sais pas enfin c'est ça peut-être")
        #expect(clean(text, .icor, events: .keep) == "ben oui je sais pas [rire] enfin c'est ça peut-être")
    }

    // Whisper / ASR artefacts.
    @Test func asr() {
        #expect(clean("[Musique] Bonjour à tous. (rires) ♪ la la ♪", .asr) == "Bonjour à tous. la la")
        #expect(clean("[Musique] Bonjour à tous. (rires)", .asr, events: .keep) == "[musique] Bonjour à tous. [rires]")
        #expect(clean("Bonjour. Merci. Merci. Merci. Merci.", .asr) == "Bonjour. Merci.")
        #expect(clean("Oui. Oui. D'accord.", .asr) == "Oui. Oui. D'accord.", "two repeats may be speech")
        #expect(clean("C'est fini. Sous-titres réalisés par la communauté d'Amara.org", .asr) == "C'est fini.")
        #expect(clean("<|fr|> <|transcribe|> Bonjour", .asr) == "Bonjour")
    }

    @Test func loopedSegmentsKeepTheFirst() {
        let turns = ["Bonjour.", "Merci.", "Merci.", "Merci !", "merci", "Au revoir."].map { Turn(speaker: "s", text: $0) }
        let transcript = Transcript(source: "t", format: .whisper, speakers: [Speaker(id: "s")], turns: turns)
        #expect(Normalizer().normalize(transcript).turns.map(\.text) == ["Bonjour. Merci. Au revoir."])
        let twice = Transcript(source: "t", format: .whisper, speakers: [Speaker(id: "s")], turns: Array(turns[..<3]))
        #expect(Normalizer().normalize(twice).turns.map(\.text) == ["Bonjour. Merci. Merci."])
    }

    // CHAT is already words: its reader's output is left as it is.
    @Test func chatIsLeftAsItIs() {
        #expect(TranscriptionConventions.words.clean("il a dit ah- non [laughs] (.) ::") == "il a dit ah- non [laughs] (.) ::")
    }

    @Test func unbalancedMarksStayLinearAndLeaveNoMark() {
        #expect(clean("{ { ( ¤ / <| bonjour") == "bonjour")
        #expect(clean("{ { ( (( ¤ / <| bonjour", .icor) == "bonjour")
        #expect(clean("a ((b c", .icor) == "a b c")
        #expect(clean("/ les, { des / x") == "les x")
    }

    static func fixture(_ name: String) -> String {
        SharedFiles.repository("Tests/TranscriptsTests/Fixtures/\(name)").path
    }

    /// test1.trs: the marks the issue quotes, on a real ESLO-convention Transcriber file.
    @Test func transcriberExcerpt() throws {
        let transcript = try TranscriptLoader().load(path: Self.fixture("conventions/test1.trs"))
        let text = Normalizer().normalize(transcript).turns[0].text
        #expect(text.hasPrefix("ah quoi moi oui oui oui oui vraiment c'est catégorique fin je je"))
        #expect(text.contains("l'électricité et d'un coup là euh en quelque mois"))
        #expect(text.contains("justement j'avais vu un reportage en Chine après je sais pas si c'est réellement vrai ou pas je sais pas du tout"))
        for mark in Self.strayMarks { #expect(!text.contains(mark), "\(mark) in \(text)") }
    }

    @Test func tcofExcerpt() throws {
        let transcript = try TranscriptLoader().load(path: Self.fixture("conventions/Conversation_MAT_08-excerpt.trs"))
        let lines = Normalizer().normalize(transcript).turns.map(\.text)
        #expect(lines.contains("rien à voir ouais rien avoir avec le Chat noir c'est c'est une super boîte quoi c'est toujours une bonne ambiance euh"))
        #expect(lines.contains("euh ils passent La Rue Ketanou tu vois tu connais La Rue Ketanou"))
        for line in lines { for mark in Self.strayMarks + ["+", "(", ")"] { #expect(!line.contains(mark), "\(mark) in \(line)") } }
    }

    static let strayMarks = ["<", ">", "{", "}", "::", "/"]

    /// Every turn of every sample, events dropped and kept: no transcription mark left.
    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/samples"), arguments: [NormalizationOptions.Events.drop, .keep])
    func noStrayMarkInAnySample(events: NormalizationOptions.Events) throws {
        let root = try #require(SharedFiles.url("samples"))
        let files = try #require(FileManager.default.subpaths(atPath: root.path)).sorted()
            .map { root.appendingPathComponent($0).path }
            .filter { !$0.hasSuffix(".md") && !$0.contains("/kaldi/") && !FileManager.default.isDirectory($0) }
        var checked = 0
        for input in TranscriptInputs.group(files) {
            let transcript: Transcript
            do {
                transcript = try TranscriptLoader().load(input: input)
            } catch {
                // RTTMs without their Whisper JSON (the samples' names differ) hold no words.
                #expect(input.path.hasSuffix(".rttm") || input.path.hasSuffix(".uem"), "\(error)")
                continue
            }
            for turn in Normalizer(options: NormalizationOptions(events: events)).normalize(transcript).turns {
                for mark in Self.strayMarks { #expect(!turn.text.contains(mark), "\(input.path): \(mark) in \(turn.text)") }
            }
            checked += 1
        }
        #expect(checked >= 25)
    }
}

extension FileManager {
    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
