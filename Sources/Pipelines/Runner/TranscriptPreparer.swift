import Foundation
import Tokenization
import Transcripts

/// `SourcePreparer` over the Transcripts module: any supported format, normalized and windowed as the
/// pipeline says. Each window leaves room for the longest step template around it, so the rendered prompt
/// stays within `chunk.window - chunk.reserve` tokens.
public struct TranscriptPreparer: SourcePreparer {
    public let tokenizer: FalconTokenizer

    public init(tokenizer: FalconTokenizer) { self.tokenizer = tokenizer }

    public func prepare(path: String, spec: PipelineSpec) throws -> PreparedSource {
        let format = try Self.format(spec.input.formats, path: path)
        let overhead = spec.steps.map { step in
            tokenizer.encode(step.template.render(["window": "", "speaker_list": "", "next_speaker": "[Intervenant 10:]"])).count
        }.max() ?? 0
        let budget = spec.chunk.window - spec.chunk.reserve - overhead
        guard budget >= 16 else {
            throw OutputError("\(path): chunk.window \(spec.chunk.window) minus reserve \(spec.chunk.reserve) leaves \(budget) tokens after the step template; raise the window")
        }
        let preparation = TranscriptPreparation(
            normalization: NormalizationOptions(speakers: NormalizationOptions.SpeakerTags(rawValue: spec.normalize.speakers.rawValue) ?? .intervenant,
                                                casing: NormalizationOptions.Casing(rawValue: spec.normalize.casing.rawValue) ?? .keep,
                                                events: NormalizationOptions.Events(rawValue: spec.normalize.events.rawValue) ?? .drop),
            windows: WindowOptions(window: budget, reserve: 0, overlapTurns: spec.chunk.overlapTurns),
            tokenizer: tokenizer)
        let prepared = try preparation.prepare(path: path, format: format)
        let turns = prepared.dialogue.turns
        let windows = prepared.windows.map { window -> PreparedWindow in
            PreparedWindow(text: window.text, speakers: window.tags, nextSpeaker: Self.nextSpeaker(after: window, in: turns))
        }
        return PreparedSource(source: path, format: prepared.transcript.format.rawValue, windows: windows)
    }

    /// The tag of the turn after the window when there is one; otherwise the most recent other speaker
    /// (a conversation answers), or the last one for a monologue.
    static func nextSpeaker(after window: DialogueWindow, in turns: [DialogueTurn]) -> String {
        if window.lastTurn + 1 < turns.count { return turns[window.lastTurn + 1].tag }
        let last = turns[window.lastTurn].tag
        for turn in turns[...window.lastTurn].reversed() where turn.tag != last { return turn.tag }
        return last
    }

    static func format(_ formats: [String], path: String) throws -> TranscriptFormat? {
        guard let first = formats.first, formats.count == 1, first != "auto" else {
            if formats.count > 1 {
                // Several formats: the first one the file's content matches.
                let data = (try? Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)) ?? Data()
                let name = (path as NSString).lastPathComponent
                let candidates = formats.compactMap(TranscriptFormat.init(rawValue:))
                return TranscriptLoader.fileReaders.filter { candidates.contains($0.format) }
                    .max { $0.confidence(data: data, fileName: name) < $1.confidence(data: data, fileName: name) }?.format
            }
            return nil
        }
        guard let format = TranscriptFormat(rawValue: first) else {
            throw OutputError("\(path): input format '\(first)' is not auto or one of \(TranscriptFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }
}
