/// Turns tokens into text one at a time without ever emitting half a character.
///
/// A multi-byte character is often split across tokens (`é` is `Ã` + `©` bytes in different tokens); the
/// trailing bytes of a character that may still be completed are held until the next token. The pieces it
/// returns, concatenated with `finish()`, equal `FalconTokenizer.decode` of the same ids.
public struct StreamingDecoder {
    private let tokenizer: FalconTokenizer
    private let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    init(tokenizer: FalconTokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one token; returns the text that became complete (possibly empty).
    public mutating func append(_ id: TokenID) -> String {
        tokenizer.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &pending)
        let cut = pending.count - UTF8Validation.incompleteSuffixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[0..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// The held-back bytes at the end of the stream (an unfinished character becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}

public enum UTF8Validation {
    /// How many bytes at the end of `bytes` are a proper prefix of a valid UTF-8 sequence (0–3).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var back = 1
        while back <= min(3, n) {
            let byte = bytes[n - back]
            if byte & 0xC0 != 0x80 {
                let needed = sequenceLength(lead: byte)
                guard needed > back else { return 0 }
                // The bytes after the lead must be able to continue it (E0/ED/F0/F4 restrict the second byte).
                for k in 1..<back where !isValidContinuation(bytes[n - back + k], lead: byte, position: k) { return 0 }
                return back
            }
            back += 1
        }
        return 0
    }

    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 1
        }
    }

    private static func isValidContinuation(_ byte: UInt8, lead: UInt8, position: Int) -> Bool {
        guard byte & 0xC0 == 0x80 else { return false }
        guard position == 1 else { return true }
        switch lead {
        case 0xE0: return byte >= 0xA0
        case 0xED: return byte <= 0x9F
        case 0xF0: return byte >= 0x90
        case 0xF4: return byte <= 0x8F
        default: return true
        }
    }

    /// The offset of the first byte that makes `bytes` invalid UTF-8, or nil when it is valid.
    public static func firstInvalidByteOffset<Bytes: Collection>(_ bytes: Bytes) -> Int? where Bytes.Element == UInt8, Bytes.Index == Int {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            let length = sequenceLength(lead: lead)
            if length == 1 || i + length > end { return i - bytes.startIndex }
            for k in 1..<length where !isValidContinuation(bytes[i + k], lead: lead, position: k) {
                return i - bytes.startIndex
            }
            i += length
        }
        return nil
    }
}
