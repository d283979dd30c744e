/// GPT-2's reversible mapping between bytes and printable characters, used by byte-level BPE vocabularies.
///
/// Vocabulary entries are spelled in these characters (a space is `Ġ`, `é` is `Ã©`); the tokenizer works on
/// raw bytes internally, so this mapping is only used to translate the vocabulary at load time and tokens
/// back to their spelling.
enum ByteLevelAlphabet {
    /// `characters[byte]` is the printable character that stands for `byte`.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse of `characters`, keyed by scalar value.
    static let bytes: [UInt32: UInt8] = {
        var inverse: [UInt32: UInt8] = [:]
        for (byte, scalar) in characters.enumerated() { inverse[scalar.value] = UInt8(byte) }
        return inverse
    }()

    /// The raw bytes a vocabulary spelling stands for, or nil if it holds a character outside the alphabet.
    static func decode(_ spelling: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(spelling.unicodeScalars.count)
        for scalar in spelling.unicodeScalars {
            guard let byte = bytes[scalar.value] else { return nil }
            result.append(byte)
        }
        return result
    }

    /// The vocabulary spelling of raw bytes.
    static func encode<Bytes: Sequence>(_ raw: Bytes) -> String where Bytes.Element == UInt8 {
        var spelling = String.UnicodeScalarView()
        for byte in raw { spelling.append(characters[Int(byte)]) }
        return String(spelling)
    }
}
