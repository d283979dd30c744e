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
    /// is cut between characters. Each piece's length is searched from the previous piece's (`longestFit`),
    /// so a turn is cut in time about linear in its length however small the budget.
    func split(_ turn: DialogueTurn, index: Int, budget: Int) -> [Piece] {
        let prefix = turn.tag.isEmpty ? "" : turn.tag + " "
        let words = turn.text.split(separator: " ", omittingEmptySubsequences: true)
        var pieces: [Piece] = []
        var first = 0, hint = 1
        while first < words.count {
            let fit = longestFit(count: words.count - first, budget: budget, hint: hint) { prefix + words[first..<(first + $0)].joined(separator: " ") }
            if fit > 0 {
                let line = prefix + words[first..<(first + fit)].joined(separator: " ")
                pieces.append(Piece(line: line, tokens: countTokens(line), turn: index, tag: turn.tag))
                first += fit
                hint = fit
                continue
            }
            // One word alone is too long: as many characters as fit (at least one), then the rest.
            let characters = Array(words[first])
            var from = 0, characterHint = 1
            while from < characters.count {
                let keep = max(1, longestFit(count: characters.count - from, budget: budget, hint: characterHint) { prefix + String(characters[from..<(from + $0)]) })
                characterHint = keep
                let line = prefix + String(characters[from..<(from + keep)])
                pieces.append(Piece(line: line, tokens: countTokens(line), turn: index, tag: turn.tag))
                from += keep
            }
            first += 1
        }
        return pieces
    }

    /// The largest k in 0...count with `countTokens(text(k)) <= budget`, assuming counts grow with k. The
    /// search starts at `hint` (the previous piece's length: pieces of one turn are alike) and moves away from
    /// it in doubling steps, then bisects the last step: a few probes of about k characters each.
    func longestFit(count: Int, budget: Int, hint: Int = 1, _ text: (Int) -> String) -> Int {
        guard count > 0 else { return 0 }
        let start = min(max(1, hint), count)
        var fits = 0, miss = count + 1, step = 1
        if countTokens(text(start)) <= budget {
            fits = start
            while fits + step <= count {
                if countTokens(text(fits + step)) <= budget { fits += step; step *= 2 } else { miss = fits + step; break }
            }
        } else {
            miss = start
            while miss - step >= 1 {
                if countTokens(text(miss - step)) <= budget { fits = miss - step; break }
                miss -= step
                step *= 2
            }
        }
        while miss - fits > 1 {
            let middle = (fits + miss) / 2
            if countTokens(text(middle)) <= budget { fits = middle } else { miss = middle }
        }
        return fits
    }
}
