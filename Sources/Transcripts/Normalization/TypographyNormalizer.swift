import Foundation

/// The character-level clean-up Claire's inference normalizer applies (NFC, typographic quotes, apostrophes
/// and dashes, non-breaking spaces, control characters, superscript ordinals), plus whitespace collapsing.
enum TypographyNormalizer {
    static func normalize(_ text: String) -> String {
        guard !isPlain(text) else { return text }
        return rewrite(text) { VerbatimOutput(bytes: $0) }
    }

    /// `collapseWhitespace(normalize(text))` in one pass: what every turn goes through.
    static func normalizedAndCollapsed(_ text: String) -> String {
        guard !isPlain(text) else { return collapseWhitespace(text) }
        return rewrite(text) { CollapsingOutput(bytes: $0) }
    }

    /// Most transcript text is plain ASCII with nothing to change.
    private static func isPlain(_ text: String) -> Bool {
        var previousQuote = false
        for byte in text.utf8 {
            if byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "`") || (byte == UInt8(ascii: "'") && previousQuote) { return false }
            previousQuote = byte == UInt8(ascii: "'")
        }
        return true
    }

    /// Runs the typography rules over `text` into an output of `text`'s size (no rule lengthens the text).
    private static func rewrite<Output: TypographyOutput>(_ text: String, output make: (UnsafeMutableBufferPointer<UInt8>) -> Output) -> String {
        var source = needsNFC(text) ? text.precomposedStringWithCanonicalMapping : text
        return source.withUTF8 { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { buffer in
                var output = make(buffer)
                applyRules(bytes, to: &output)
                output.finish()
                return output.count
            }
        }
    }

    private static func applyRules<Output: TypographyOutput>(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout Output) {
        func isSpaceAt(_ k: Int) -> Int {  // width of a space, tab, NBSP or narrow NBSP at k, else 0
            guard k < bytes.count else { return 0 }
            if bytes[k] == 0x20 || bytes[k] == 0x09 { return 1 }
            if bytes[k] == 0xC2, k + 1 < bytes.count, bytes[k + 1] == 0xA0 { return 2 }
            if bytes[k] == 0xE2, k + 2 < bytes.count, bytes[k + 1] == 0x80, bytes[k + 2] == 0xAF { return 3 }
            return 0
        }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                switch b {
                case 0x60, 0x27:  // `` and '' are quotes; single ones stay
                    if i + 1 < bytes.count, bytes[i + 1] == b { out.ascii(UInt8(ascii: "\"")); i += 2 } else { out.ascii(b); i += 1 }
                case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F, 0x7F: i += 1
                default: out.ascii(b); i += 1
                }
                continue
            }
            // The scalar at i, decoded from its UTF-8 bytes (the text is valid UTF-8: it came from a String).
            let width = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            var value = UInt32(b) & (width == 2 ? 0x1F : width == 3 ? 0x0F : 0x07)
            for k in 1..<width where i + k < bytes.count { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
            var next = i + width
            switch value {
            case 0x2026: out.ascii(UInt8(ascii: ".")); out.ascii(UInt8(ascii: ".")); out.ascii(UInt8(ascii: "."))
            case 0x00AB, 0x201C:  // « “ and the spaces after them
                out.ascii(UInt8(ascii: "\""))
                while case let w = isSpaceAt(next), w > 0 { next += w }
            case 0x00BB, 0x201D, 0x2033, 0x201E:  // spaces before » ” ″ „, then the quote
                out.dropTrailingSpaces()
                out.ascii(UInt8(ascii: "\""))
            case 0x2019, 0x2018, 0x201B, 0x02BF: out.ascii(UInt8(ascii: "'"))
            case 0x201A: out.ascii(UInt8(ascii: ","))
            case 0x2013: out.ascii(UInt8(ascii: "-"))
            case 0x00A0, 0x202F, 0x2007, 0x2009: out.ascii(0x20)
            case 0x1D49:  // ᵉ, and ᵉʳ (U+02B3 is CA B3)
                out.ascii(UInt8(ascii: "e"))
                if next + 1 < bytes.count, bytes[next] == 0xCA, bytes[next + 1] == 0xB3 { out.ascii(UInt8(ascii: "r")); next += 2 }
            case 0x80...0x9F: break  // C1 controls
            default: out.scalar(UnsafeBufferPointer(rebasing: bytes[i..<min(next, bytes.count)]))
            }
            i = next
        }
    }

    /// Whether NFC could change the text: a combining mark, conjoining jamo, or one of the few characters
    /// with a singleton decomposition. Precomposed Latin text (all of French) skips the pass.
    static func needsNFC(_ text: String) -> Bool {
        // Scalars from U+0300 on have a lead byte from 0xCC on: French text rarely has one outside punctuation.
        var text = text
        guard text.withUTF8({ bytes in bytes.contains { $0 >= 0xCC } }) else { return false }
        for scalar in text.unicodeScalars where scalar.value >= 0x300 {
            switch scalar.value {
            case 0x300...0x36F, 0x1100...0x11FF, 0x2000...0x2001, 0x2126...0x212B, 0xF900...0xFAFF, 0x2F800...0x2FA1F,
                 0x0340...0x0390, 0x1F00...0x1FFF:
                return true
            default:
                if scalar.properties.canonicalCombiningClass != .notReordered { return true }
            }
        }
        return false
    }

    static func containsByte(_ text: String, _ byte: UInt8) -> Bool {
        var text = text
        return text.withUTF8 { bytes in bytes.baseAddress.map { memchr($0, Int32(byte), bytes.count) != nil } ?? false }
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar.value == 0xA0 || scalar.value == 0x202F
    }

    /// Runs of whitespace (newlines included: one turn is one line) become one space; no space before `.`
    /// or `,` after a word or a kept `[event]` (what event handling leaves behind); trimmed.
    /// Works on UTF-8 bytes: this runs on every turn of every file.
    static func collapseWhitespace(_ text: String) -> String {
        var text = text
        return text.withUTF8 { collapseWhitespace($0) }
    }

    static func collapseWhitespace(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            var out = CollapsingOutput(bytes: buffer)
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                if byte < 0x80 {
                    out.ascii(byte)
                    i += 1
                    continue
                }
                let width = whitespaceWidth(bytes, at: i)
                if width > 0 {
                    out.scalar(UnsafeBufferPointer(rebasing: bytes[i..<(i + width)]))
                    i += width
                } else {
                    out.scalar(UnsafeBufferPointer(rebasing: bytes[i..<(i + 1)]))
                    i += 1
                }
            }
            out.finish()
            return out.count
        }
    }

    /// Bytes of the Unicode White_Space character at `i`, or 0.
    @inline(__always)
    static func whitespaceWidth(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let c = b[i]
        if c < 0x80 { return c == 0x20 || (c >= 0x09 && c <= 0x0D) ? 1 : 0 }
        if c == 0xC2, i + 1 < b.count, b[i + 1] == 0xA0 || b[i + 1] == 0x85 { return 2 }
        if c == 0xE2, i + 2 < b.count {
            if b[i + 1] == 0x80, (0x80...0x8A).contains(b[i + 2]) || b[i + 2] == 0xA8 || b[i + 2] == 0xA9 || b[i + 2] == 0xAF { return 3 }
            if b[i + 1] == 0x81, b[i + 2] == 0x9F { return 3 }
        }
        if c == 0xE3, i + 2 < b.count, b[i + 1] == 0x80, b[i + 2] == 0x80 { return 3 }
        if c == 0xE1, i + 2 < b.count, b[i + 1] == 0x9A, b[i + 2] == 0x80 { return 3 }
        return 0
    }

    /// Whether the text so far ends with a letter, a digit or `]`.
    static func endsWithWord(_ out: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let last = out.last else { return false }
        if last < 0x80 {
            return (0x30...0x39).contains(last) || (0x41...0x5A).contains(last) || (0x61...0x7A).contains(last) || last == UInt8(ascii: "]")
        }
        var start = out.count - 1
        while start > 0, out[start] & 0xC0 == 0x80 { start -= 1 }
        guard let scalar = String(decoding: UnsafeBufferPointer(rebasing: out[start...]), as: UTF8.self).unicodeScalars.first else { return false }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}

/// Where the typography rules write: as is, or with whitespace collapsed on the way.
private protocol TypographyOutput {
    var count: Int { get }
    mutating func ascii(_ byte: UInt8)
    /// A non-ASCII scalar's bytes (or, from `collapseWhitespace`, one byte of one).
    mutating func scalar(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Spaces and tabs before a closing quote go.
    mutating func dropTrailingSpaces()
    /// The text is complete.
    mutating func finish()
}

private struct VerbatimOutput: TypographyOutput {
    let bytes: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    mutating func ascii(_ byte: UInt8) {
        bytes[count] = byte
        count += 1
    }

    mutating func scalar(_ scalar: UnsafeBufferPointer<UInt8>) {
        for byte in scalar { ascii(byte) }
    }

    mutating func dropTrailingSpaces() {
        while count > 0, bytes[count - 1] == 0x20 || bytes[count - 1] == 0x09 { count -= 1 }
    }

    func finish() {}
}

/// Runs of whitespace (newlines included: one turn is one line) become one space, leading and trailing
/// whitespace goes, and no space is left before `.` or `,` after a word or a kept `[event]` (what event
/// handling leaves behind). A run's space is written at once and taken back when a `.`/`,` or the end
/// follows — a byte loop with few branches, since it runs over every byte of every turn. Only whitespace
/// writes a 0x20 here, so a trailing 0x20 always is a run's space.
private struct CollapsingOutput: TypographyOutput {
    let bytes: UnsafeMutableBufferPointer<UInt8>
    var count = 0
    /// Whether the trailing run held whitespace other than spaces and tabs, which a closing quote keeps.
    var hardSpace = false

    @inline(__always)
    mutating func ascii(_ byte: UInt8) {
        // Space, or tab…CR (0x09…0x0D): two comparisons, no table (a global would cost a lazy-init check).
        if (byte == 0x20) || (byte &- 0x09 <= 4) {
            space(hard: byte != 0x20 && byte != 0x09)
            return
        }
        if byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",") { dropSpaceAfterWord() }
        bytes[count] = byte
        count += 1
    }

    mutating func scalar(_ scalar: UnsafeBufferPointer<UInt8>) {
        if TypographyNormalizer.whitespaceWidth(scalar, at: 0) == scalar.count {
            space(hard: true)
            return
        }
        for byte in scalar {
            bytes[count] = byte
            count += 1
        }
    }

    @inline(__always)
    private mutating func space(hard: Bool) {
        let continuing = count > 0 && bytes[count - 1] == 0x20
        hardSpace = (continuing && hardSpace) || hard
        guard count > 0, !continuing else { return }
        bytes[count] = 0x20
        count += 1
    }

    /// `mot .` → `mot.`
    private mutating func dropSpaceAfterWord() {
        guard count >= 2, bytes[count - 1] == 0x20,
              TypographyNormalizer.endsWithWord(UnsafeBufferPointer(rebasing: bytes[..<(count - 1)])) else { return }
        count -= 1
    }

    mutating func dropTrailingSpaces() {
        if count > 0, bytes[count - 1] == 0x20, !hardSpace { count -= 1 }
    }

    mutating func finish() {
        if count > 0, bytes[count - 1] == 0x20 { count -= 1 }
    }
}
