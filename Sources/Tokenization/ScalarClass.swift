/// The character classes Falcon's pre-tokenizer distinguishes, for every Unicode scalar.
///
/// `punctuation` wins over the others because the Punctuation stage runs first: it is Unicode's P* categories
/// plus every ASCII punctuation character (`$`, `+`, `<`, `=`, `>`, `^`, `` ` ``, `|`, `~` included, which
/// Unicode files under symbols). `whitespace` is the White_Space property, as the GPT-2 regex's `\s`.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, punctuation, other

    /// Classes of the Basic Multilingual Plane, computed once; other planes are looked up on demand.
    private static let basicPlane: [ScalarClass] = (0..<0x10000).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return .other }  // surrogates
        return compute(scalar)
    }

    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x10000 { return basicPlane[Int(value)] }
        guard let scalar = Unicode.Scalar(value) else { return .other }
        return compute(scalar)
    }

    static func compute(_ scalar: Unicode.Scalar) -> ScalarClass {
        if scalar.isASCII, isASCIIPunctuation(UInt8(scalar.value)) { return .punctuation }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return .punctuation
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return properties.isWhitespace ? .whitespace : .other
        }
    }

    static func isASCIIPunctuation(_ byte: UInt8) -> Bool {
        (0x21...0x2F).contains(byte) || (0x3A...0x40).contains(byte)
            || (0x5B...0x60).contains(byte) || (0x7B...0x7E).contains(byte)
    }
}
