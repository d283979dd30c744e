import Foundation

public typealias TokenID = Int32

/// Falcon's byte-level BPE tokenizer (Falcon-7B/40B/180B, Claire-7B): exact against Hugging Face `tokenizers`.
///
/// Load it from a `tokenizer.json` (`init(contentsOf:)`) or from the vocabulary and merges stored in a GGUF
/// file (`init(vocabulary:merges:specialTokenIDs:source:)`). Encoding matches special tokens written
/// literally in the text first, then runs Falcon's pre-tokenizer and BPE on the rest; no BOS is added.
///
/// The class is safe to share between threads: the word cache is behind a lock held for one `encode` call.
public final class FalconTokenizer: @unchecked Sendable {
    /// Where the tokenizer came from, for error messages.
    public let source: String
    public let vocabularySize: Int
    /// `<|endoftext|>`, Falcon's end-of-sequence and document separator (11), when the vocabulary has it.
    public let endOfTextID: TokenID?

    private let encoder: BytePairEncoder
    private let specialTokens: SpecialTokenMatcher
    private let tokenByteOffsets: [Int32]  // tokenByteOffsets[id] ..< tokenByteOffsets[id + 1]
    private let tokenByteArena: [UInt8]
    private let isSpecial: [Bool]
    private let spellings: [String]
    /// The vocabulary and merge rules as loaded, for writing them into another file (GGUF conversion).
    public let vocabulary: [String]
    public let merges: [(String, String)]
    public let specialTokenIDs: Set<Int>
    private var cache = WordCache()
    private let cacheLock = NSLock()

    /// - Parameters:
    ///   - vocabulary: token spellings by id, in GPT-2's byte characters (as in `tokenizer.json` and GGUF).
    ///   - merges: the merge rules, highest priority first.
    ///   - specialTokenIDs: ids matched literally in text and skipped by `decode` by default.
    public init(vocabulary: [String], merges: [(String, String)], specialTokenIDs: Set<Int>, source: String) throws {
        self.source = source
        vocabularySize = vocabulary.count
        spellings = vocabulary
        self.vocabulary = vocabulary
        self.merges = merges
        self.specialTokenIDs = specialTokenIDs

        var idBySpelling: [String: Int32] = [:]
        idBySpelling.reserveCapacity(vocabulary.count)
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(vocabulary.count + 1)
        var arena: [UInt8] = []
        arena.reserveCapacity(vocabulary.count * 8)
        var special = [Bool](repeating: false, count: vocabulary.count)
        var byteTokens = [Int32](repeating: -1, count: 256)
        var literals: [(bytes: [UInt8], id: TokenID)] = []
        for (id, spelling) in vocabulary.enumerated() {
            let isSpecialToken = specialTokenIDs.contains(id)
            special[id] = isSpecialToken
            if idBySpelling[spelling] == nil { idBySpelling[spelling] = Int32(id) }
            let bytes: [UInt8]
            if isSpecialToken {
                bytes = Array(spelling.utf8)
                literals.append((bytes, TokenID(id)))
            } else {
                bytes = ByteLevelAlphabet.decode(spelling) ?? Array(spelling.utf8)
                if bytes.count == 1, byteTokens[Int(bytes[0])] < 0 { byteTokens[Int(bytes[0])] = Int32(id) }
            }
            arena.append(contentsOf: bytes)
            offsets.append(Int32(arena.count))
        }

        var table = MergeTable(capacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let left = idBySpelling[merge.0], let right = idBySpelling[merge.1] else {
                let missing = idBySpelling[merge.0] == nil ? merge.0 : merge.1
                throw TokenizerError.mergeTokenMissing(path: source, merge: rank, token: missing)
            }
            guard let merged = idBySpelling[merge.0 + merge.1] else {
                throw TokenizerError.mergeTokenMissing(path: source, merge: rank, token: merge.0 + merge.1)
            }
            table.insert(left: left, right: right, rank: UInt32(rank), merged: merged)
        }

        encoder = BytePairEncoder(byteTokens: byteTokens, merges: table)
        specialTokens = SpecialTokenMatcher(literals)
        tokenByteOffsets = offsets
        tokenByteArena = arena
        isSpecial = special
        endOfTextID = idBySpelling["<|endoftext|>"]
    }

    // MARK: Encoding

    /// The token ids of `text`; special tokens written in it (`<|endoftext|>`, `>>TITLE<<`, …) are matched.
    public func encode(_ text: String) -> [TokenID] {
        var text = text
        return text.withUTF8 { encode(utf8: $0) }
    }

    /// How many tokens `text` encodes to.
    public func count(_ text: String) -> Int {
        encode(text).count
    }

    /// Encodes bytes that are valid UTF-8 (use `validateUTF8` first on untrusted bytes).
    public func encode(utf8 text: UnsafeBufferPointer<UInt8>) -> [TokenID] {
        var output: [TokenID] = []
        output.reserveCapacity(text.count / 3 + 4)
        cacheLock.lock()
        defer { cacheLock.unlock() }
        specialTokens.split(text) { segment, specialID in
            if let specialID {
                output.append(specialID)
            } else {
                encodeOrdinary(text, segment, into: &output)
            }
        }
        return output
    }

    private func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, _ segment: Range<Int>, into output: inout [TokenID]) {
        FalconPreTokenizer.split(text, segment) { start, end in
            let piece = UnsafeBufferPointer(rebasing: text[start..<end])
            guard piece.count <= WordCache.maximumKeyLength else {
                encoder.encode(piece, into: &output)
                return
            }
            let hash = WordCache.hash(piece)
            if cache.lookup(piece, hash: hash, into: &output) { return }
            let before = output.count
            encoder.encode(piece, into: &output)
            cache.insert(piece, hash: hash, ids: output[before...])
        }
    }

    // MARK: Decoding

    /// The text of `ids`. Bytes that do not form valid UTF-8 become U+FFFD, as Hugging Face's ByteLevel decoder
    /// does; special tokens are left out unless `skipSpecialTokens` is false; unknown ids are ignored.
    public func decode(_ ids: [TokenID], skipSpecialTokens: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids { appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes a token stands for (empty for an unknown id).
    public func bytes(of id: TokenID) -> [UInt8] {
        var bytes: [UInt8] = []
        appendBytes(of: id, skipSpecialTokens: false, to: &bytes)
        return bytes
    }

    func appendBytes(of id: TokenID, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
        let index = Int(id)
        guard index >= 0, index < vocabularySize else { return }
        if skipSpecialTokens, isSpecial[index] { return }
        bytes.append(contentsOf: tokenByteArena[Int(tokenByteOffsets[index])..<Int(tokenByteOffsets[index + 1])])
    }

    /// The vocabulary spelling of a token (`Ġmerci`), or nil for an unknown id.
    public func spelling(of id: TokenID) -> String? {
        let index = Int(id)
        return index >= 0 && index < vocabularySize ? spellings[index] : nil
    }

    public func isSpecialToken(_ id: TokenID) -> Bool {
        let index = Int(id)
        return index >= 0 && index < vocabularySize && isSpecial[index]
    }

    /// A decoder for text produced one token at a time.
    public func makeStreamingDecoder(skipSpecialTokens: Bool = true) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }
}
