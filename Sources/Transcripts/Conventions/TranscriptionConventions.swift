/// The in-text marks of French oral corpora, reduced to words before a turn is rendered for Claire.
///
/// Claire's training text (the Claire French Dialogue Dataset) has words, speaker tags and a few `[event]`
/// marks only; the converters that produced it are not public, so these rules are ours. Every family keeps
/// the words and turns its marks into nothing or into an `[event]` mark, which the normalizer then drops
/// (`events: drop`, the default) or keeps in lower case (`events: keep`).
///
/// **Spoken-corpus marks** (ESLO/Orléans, Transcriber in-text, TCOF, CLAPI/ICOR, ORFEO/CEFC, TEI-CORPO),
/// applied to every format that is not CHAT or ASR output:
/// - `{rire}`, `((rire))` events and `[anglais]` comments → `[rire]`, `[anglais]`;
/// - `<` `>` overlap marks, `::` lengthening, `+`/`++`/`+++`, `#`, `//`, `///` pauses, `(.)`, `(..)`,
///   `(0.5)` timed pauses, `=` latching, `°` low voice, `↑ ↓ ↗ ↘ \` intonation, a lone `&` (ICOR turn
///   continuation), `^` → nothing;
/// - `xxx` (any run of 3+ `x`), `*`/`***` (TCOF unintelligible syllables), `(xxx)`, `(inaudible)` →
///   `[inaudible]`;
/// - `¤P1¤` anonymised names (TCOF) and ORFEO's doubled-capital placeholders (`NNAAMMEE`) → `[nom]`
///   (Claire's own spelling for an anonymised name);
/// - `il(s) passe(nt)` optional letters attached to a word are spelled out → `ils passent`;
/// - a free-standing `(…)` is an uncertain hearing: its words stay, unless it holds a known event word
///   (`(rires)`, `(bruit)`, `(musique)`…) → `[rires]`;
/// - TCOF's `/les, des/` hesitation between two hearings keeps the first: `les`; `/mecs,*/` → `mecs`;
/// - truncated words (`av-`, `qu-~`, `ét~`: a word ending in `-` or `~`) are fragments, not words: dropped
///   (as the CHAT reader drops `&+` fragments);
/// - ESLO's tokenized elisions `l' omelette`, `c' est` are joined back: `l'omelette`, `c'est`;
/// - CLAPI/ICOR transcripts (recognised by `((…))`, `(.)` or `°` anywhere) write overlaps as `[…]` around
///   words: there the brackets go and the words stay, and a `:` after a letter is lengthening (`a:h`).
///
/// **ASR output** (Whisper JSON, WebVTT, SRT): `[Musique]`, `(rires)`, `(Applaudissements)`, `♪` are events
/// or nothing; `<|…|>` special tokens go; Whisper's hallucinations are cut: a sentence or a segment repeated
/// three or more times in a row is kept once, and its well-known French credit lines ("Sous-titres réalisés
/// par la communauté d'Amara.org", "Sous-titrage ST' 501", "Sous-titrage Société Radio-Canada") are removed.
/// ASR text marks no truncation and no elision, so those two rules are off.
///
/// **CHAT**: the reader already reduced CHAT's codes to words and `[event]` marks: nothing more is done.
public enum TranscriptionConventions: Sendable, Equatable {
    case spokenCorpus
    /// CLAPI/ICOR (Jefferson-style) marks: square brackets are overlaps, not comments.
    case icor
    case asr
    /// Already plain words (CHAT after its reader).
    case words

    /// The family of a transcript's marks, from its format and, for spoken corpora, its text.
    public init(for transcript: Transcript) {
        switch transcript.format {
        case .chat: self = .words
        case .whisper, .vtt, .srt: self = .asr
        default: self = transcript.turns.contains { Self.hasICORMarks($0.text) } ? .icor : .spokenCorpus
        }
    }

    static func hasICORMarks(_ text: String) -> Bool {
        text.contains("((") || text.contains("(.)") || text.contains("°")
    }

    /// One turn's text with its marks reduced (events as `[event]` marks, whitespace not yet collapsed).
    public func clean(_ text: String) -> String {
        switch self {
        case .words: return text
        case .asr: return MarkCleaner(family: self).clean(HallucinationFilter.removingCredits(HallucinationFilter.collapsingRepeatedSentences(text)))
        case .spokenCorpus, .icor: return MarkCleaner(family: self).clean(text)
        }
    }
}
