import Foundation
import Tokenization

/// The whole input side for one file: read (format detected or forced), normalize, cut into windows.
public struct TranscriptPreparation {
    public struct Prepared {
        public var transcript: Transcript
        public var dialogue: NormalizedDialogue
        public var windows: [DialogueWindow]

        /// The `prepare --json` object (README's `prepare` section lists its fields).
        public func jsonObject() -> [String: Any] {
            [
                "source": transcript.source, "format": transcript.format.rawValue,
                "speakers": transcript.speakers.map { speaker -> [String: Any] in
                    var object: [String: Any] = ["id": speaker.id]
                    if let name = speaker.name { object["name"] = name }
                    if let role = speaker.role { object["role"] = role }
                    return object
                },
                "turns": dialogue.turns.map { turn -> [String: Any] in
                    let first = transcript.turns[turn.sourceTurns[0]], last = transcript.turns[turn.sourceTurns[turn.sourceTurns.count - 1]]
                    return ["speaker": turn.tag.isEmpty ? turn.speaker : turn.tag, "text": turn.text,
                            "start": first.start.map { $0 as Any } ?? NSNull(), "end": last.end.map { $0 as Any } ?? NSNull()]
                },
                "windows": windows.map { ["text": $0.text, "tokens": $0.tokens, "first_turn": $0.firstTurn, "last_turn": $0.lastTurn] },
            ]
        }
    }

    public var loader: TranscriptLoader
    public var normalizer: Normalizer
    public var windower: Windower

    public init(normalization: NormalizationOptions, windows: WindowOptions, tokenizer: FalconTokenizer, loader: TranscriptLoader = TranscriptLoader()) {
        self.loader = loader
        normalizer = Normalizer(options: normalization)
        windower = Windower(options: windows, tokenizer: tokenizer)
    }

    /// Prepares `path` with the companions beside it (`TranscriptInputs.input(for:)`).
    public func prepare(path: String, format: TranscriptFormat? = nil) throws -> Prepared {
        try prepare(input: TranscriptInputs.input(for: path), format: format)
    }

    public func prepare(input: TranscriptInput, format: TranscriptFormat? = nil) throws -> Prepared {
        let path = input.path
        let transcript = try loader.load(input: input, format: format)
        let dialogue = normalizer.normalize(transcript)
        guard !dialogue.turns.isEmpty else { throw TranscriptError(file: path, "no words left after normalization (every turn was empty or an event)") }
        return Prepared(transcript: transcript, dialogue: dialogue, windows: windower.windows(dialogue))
    }
}
