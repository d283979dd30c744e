import Foundation
import Tokenization
import Transcripts

/// `SourcePreparer` over the Transcripts module: any supported format, normalized and windowed as the
/// pipeline says. Each window leaves room for the longest step template around it, rendered with every
/// variable as long as this source can make it (`PromptVariables.bound`), so every rendered prompt stays
/// within `chunk.window - chunk.reserve` tokens.
public struct TranscriptPreparer: SourcePreparer {
    public let tokenizer: FalconTokenizer

    public init(tokenizer: FalconTokenizer) { self.tokenizer = tokenizer }

    public func prepare(path: String, spec: PipelineSpec) throws -> PreparedSource {
        let format = Self.format(spec.input.formats, path: path)
        let preparation = TranscriptPreparation(
            normalization: NormalizationOptions(speakers: NormalizationOptions.SpeakerTags(rawValue: spec.normalize.speakers.rawValue) ?? .intervenant,
                                                casing: NormalizationOptions.Casing(rawValue: spec.normalize.casing.rawValue) ?? .keep,
                                                events: NormalizationOptions.Events(rawValue: spec.normalize.events.rawValue) ?? .drop),
            windows: WindowOptions(window: spec.chunk.window, reserve: 0, overlapTurns: spec.chunk.overlapTurns),
            tokenizer: tokenizer)
        let transcript = try preparation.loader.load(path: path, format: format)
        let dialogue = preparation.normalizer.normalize(transcript)
        guard !dialogue.turns.isEmpty else { throw TranscriptError(file: path, "no words left after normalization (every turn was empty or an event)") }
        let overhead = spec.steps.map { step in
            let bound = PromptVariables.bound(source: path, format: transcript.format.rawValue, tags: dialogue.tags, turns: dialogue.turns.count,
                                              pipeline: spec.name, step: step)
            return tokenizer.encode(step.template.render(bound.values)).count
        }.max() ?? 0
        let budget = spec.chunk.window - spec.chunk.reserve - overhead
        guard budget >= 16 else {
            throw OutputError("\(path): chunk.window \(spec.chunk.window) minus reserve \(spec.chunk.reserve) leaves \(budget) tokens after the step template; raise the window")
        }
        let windower = Windower(options: WindowOptions(window: budget, reserve: 0, overlapTurns: spec.chunk.overlapTurns), tokenizer: tokenizer)
        let turns = dialogue.turns
        let windows = windower.windows(dialogue).map { window -> PreparedWindow in
            PreparedWindow(text: window.text, speakers: window.tags, nextSpeaker: Self.nextSpeaker(after: window, in: turns))
        }
        return PreparedSource(source: path, format: transcript.format, windows: windows)
    }

    /// The tag of the turn after the window when there is one; otherwise the most recent other speaker
    /// (a conversation answers), or the last one for a monologue.
    static func nextSpeaker(after window: DialogueWindow, in turns: [DialogueTurn]) -> String {
        if window.lastTurn + 1 < turns.count { return turns[window.lastTurn + 1].tag }
        let last = turns[window.lastTurn].tag
        for turn in turns[...window.lastTurn].reversed() where turn.tag != last { return turn.tag }
        return last
    }

    static func format(_ formats: InputFormats, path: String) -> TranscriptFormat? {
        switch formats {
        case .auto: return nil
        case .forced(let format): return format
        case .bestOf(let candidates):
            // Several formats: the one the file's content matches best.
            let data = (try? Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)) ?? Data()
            let name = (path as NSString).lastPathComponent
            return TranscriptLoader.fileReaders.filter { candidates.contains($0.format) }
                .max { $0.confidence(data: data, fileName: name) < $1.confidence(data: data, fileName: name) }?.format
        }
    }
}
