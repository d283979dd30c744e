import Testing
@testable import Tokenization

/// The generated tables are not arbitrary: for characters old enough to be in every Unicode version involved,
/// they agree with Swift's own Unicode data, except for the few characters Unicode later recategorized.
struct ScalarClassAgreementTests {
    /// Punctuation in the `tokenizers` tables (its crate has Unicode 8.0 categories) that later Unicode versions
    /// moved to symbols (U+166D) or marks (U+111C9).
    static let recategorized: Set<UInt32> = [0x166D, 0x111C9]

    @Test func oldCharactersAgreeWithSwiftsUnicodeData() {
        var disagreements: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major <= 8 else { continue }
            if Self.recategorized.contains(value) { continue }
            let expected = classFromSwiftUnicodeData(scalar)
            if ScalarClass.of(value) != expected { disagreements.append("U+\(String(value, radix: 16, uppercase: true))") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(40))")
    }

    private func classFromSwiftUnicodeData(_ scalar: Unicode.Scalar) -> ScalarClass {
        if scalar.isASCII, ScalarClass.isASCIIPunctuation(UInt8(scalar.value)) { return .punctuation }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return .punctuation
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return scalar.properties.isWhitespace ? .whitespace : .other
        }
    }
}
