import Tokenization

/// Cuts normalized dialogue into windows of at most `budget` Falcon tokens at turn boundaries.
///
/// Turns go into a window whole while they fit. A turn longer than a whole window is split at word
/// boundaries and each piece re-emits its speaker tag, so the model always knows who speaks. The next
/// window starts `overlapTurns` turns before the end of the previous one (Claire's training windows repeat
/// the last turn), and always after the previous window's start, so cutting always finishes.
public struct Windower {
    public let options: WindowOptions
    private let countTokens: (String) -> Int

    public init(options: WindowOptions = WindowOptions(), tokenizer: FalconTokenizer) {
        self.init(options: options) { tokenizer.encode($0).count }
    }

    public init(options: WindowOptions = WindowOptions(), countTokens: @escaping (String) -> Int) {
        self.options = options
        self.countTokens = countTokens
    }

    /// One line of a window: a whole turn or a piece of a long one.
    struct Piece {
        var line: String
        var tokens: Int
        var turn: Int
        var tag: String
    }

    public func windows(_ dialogue: NormalizedDialogue) -> [DialogueWindow] {
        let budget = options.budget
        let newline = countTokens("\n")
        var pieces: [Piece] = []
        for (index, turn) in dialogue.turns.enumerated() {
            let tokens = countTokens(turn.line)
            if tokens <= budget {
                pieces.append(Piece(line: turn.line, tokens: tokens, turn: index, tag: turn.tag))
            } else {
                pieces += split(turn, index: index, budget: budget)
            }
        }
        var windows: [DialogueWindow] = []
        var start = 0
        while start < pieces.count {
            var end = start + 1, used = pieces[start].tokens
            while end < pieces.count, used + newline + pieces[end].tokens <= budget {
                used += newline + pieces[end].tokens
                end += 1
            }
            // A newline is always a pre-token of its own (the byte-level split isolates it), so a window's count is
            // the sum of its lines' and the newlines': the tokenizer sees each turn once (tests re-encode windows).
            let text = pieces[start..<end].map(\.line).joined(separator: "\n")
            var tags: [String] = []
            for piece in pieces[start..<end] where !piece.tag.isEmpty && !tags.contains(piece.tag) { tags.append(piece.tag) }
            windows.append(DialogueWindow(text: text, tokens: used, firstTurn: pieces[start].turn, lastTurn: pieces[end - 1].turn, tags: tags))
            if end == pieces.count { break }
            start = max(start + 1, end - options.overlapTurns)
        }
        return windows
    }

    /// Pieces of one long turn, each `tag + words` within the budget; a single word longer than the budget
    /// is cut between characters.
    func split(_ turn: DialogueTurn, index: Int, budget: Int) -> [Piece] {
        let prefix = turn.tag.isEmpty ? "" : turn.tag + " "
        var words = turn.text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var pieces: [Piece] = []
        while !words.isEmpty {
            // The longest run of words that fits, found by binary search on its length.
            var low = 0, high = words.count
            while low < high {
                let middle = (low + high + 1) / 2
                if countTokens(prefix + words[0..<middle].joined(separator: " ")) <= budget { low = middle } else { high = middle - 1 }
            }
            if low == 0 {
                // One word alone is too long: keep as many characters as fit, continue with the rest.
                let word = words[0]
                var keep = word.count
                while keep > 1, countTokens(prefix + String(word.prefix(keep))) > budget { keep = keep * 3 / 4 }
                let line = prefix + String(word.prefix(keep))
                pieces.append(Piece(line: line, tokens: countTokens(line), turn: index, tag: turn.tag))
                words[0] = String(word.dropFirst(keep))
                if words[0].isEmpty { words.removeFirst() }
                continue
            }
            let line = prefix + words[0..<low].joined(separator: " ")
            pieces.append(Piece(line: line, tokens: countTokens(line), turn: index, tag: turn.tag))
            words.removeFirst(low)
        }
        return pieces
    }
}
