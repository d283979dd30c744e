import Foundation

/// The character-level clean-up Claire's inference normalizer applies (NFC, typographic quotes, apostrophes
/// and dashes, non-breaking spaces, control characters, superscript ordinals), plus whitespace collapsing.
enum TypographyNormalizer {
    static func normalize(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        var scalars = Array(text.precomposedStringWithCanonicalMapping.unicodeScalars)
        var i = 0
        func append(_ s: String) { result.unicodeScalars.append(contentsOf: s.unicodeScalars) }
        while i < scalars.count {
            let c = scalars[i]
            switch c.value {
            case 0x2026: append("...")
            case 0x00AB, 0x201C:  // « “ and the spaces after them
                append("\"")
                while i + 1 < scalars.count, isSpace(scalars[i + 1]) { i += 1 }
            case 0x00BB, 0x201D, 0x2033, 0x201E:  // spaces before » ” ″ „, then the quote
                while let last = result.unicodeScalars.last, isSpace(last) { result.unicodeScalars.removeLast() }
                append("\"")
            case 0x2019, 0x2018, 0x201B, 0x02BF: append("'")
            case 0x201A: append(",")
            case 0x2013: append("-")
            case 0x00A0, 0x202F, 0x2007, 0x2009: append(" ")
            case 0x1D49:  // ᵉ, and ᵉʳ
                if i + 1 < scalars.count, scalars[i + 1].value == 0x02B3 { append("er"); i += 1 } else { append("e") }
            case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F, 0x7F...0x9F: break
            default: result.unicodeScalars.append(c)
            }
            i += 1
        }
        scalars = []
        return result.replacingOccurrences(of: "``", with: "\"").replacingOccurrences(of: "''", with: "\"")
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar.value == 0xA0 || scalar.value == 0x202F
    }

    /// Runs of whitespace (newlines included: one turn is one line) become one space; no space before `.`
    /// or `,` after a word or a kept `[event]` (what event handling leaves behind); trimmed.
    static func collapseWhitespace(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                let afterWord = out.unicodeScalars.last.map { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "]" } ?? false
                if !((scalar == "." || scalar == ",") && afterWord) { out.unicodeScalars.append(" ") }
                pendingSpace = false
            }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
