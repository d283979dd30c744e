/// The `"text"` string of one `tokenize --jsonl` line, exactly as written: every scalar of the JSON string,
/// raw or escaped, reaches the tokenizer. Foundation's JSONSerialization builds each string through a
/// decoder that drops a byte-order mark (U+FEFF) written raw at the start of a string, so this small strict
/// parser (RFC 8259; the other members are checked and skipped) reads the line instead. Duplicate keys keep
/// the last value, as Python's `json` does.
struct JSONTextLine {
    struct Failure: Error {
        var offset: Int
        var message: String
    }

    /// Nesting deeper than this is refused rather than recursed into.
    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var i = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The string value of the top-level object's `"text"` member; nil when there is none or it is not a string.
    static func text(of line: [UInt8]) throws(Failure) -> String? {
        var parser = JSONTextLine(line)
        parser.skipSpace()
        guard parser.peek == UInt8(ascii: "{") else { throw Failure(offset: parser.i, message: "expected a JSON object") }
        let text = try parser.object(depth: 0, wanted: "text")
        parser.skipSpace()
        guard parser.i == line.count else { throw Failure(offset: parser.i, message: "unexpected bytes after the JSON object") }
        return text
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipSpace() {
        while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek == byte else { throw Failure(offset: i, message: "expected '\(Character(Unicode.Scalar(byte)))'") }
        i += 1
    }

    /// Parses an object; returns the string value of member `wanted` when asked for one.
    private mutating func object(depth: Int, wanted: String?) throws(Failure) -> String? {
        guard depth < Self.maximumDepth else { throw Failure(offset: i, message: "nested deeper than \(Self.maximumDepth) levels") }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        var found: String?
        if peek == UInt8(ascii: "}") { i += 1; return nil }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { throw Failure(offset: i, message: "expected a member name string") }
            let key = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            if let wanted, key == wanted {
                if peek == UInt8(ascii: "\"") { found = try string() } else { found = nil; try value(depth: depth + 1) }
            } else {
                try value(depth: depth + 1)
            }
            skipSpace()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"))
            return found
        }
    }

    private mutating func value(depth: Int) throws(Failure) {
        guard depth < Self.maximumDepth else { throw Failure(offset: i, message: "nested deeper than \(Self.maximumDepth) levels") }
        switch peek {
        case UInt8(ascii: "{"): _ = try object(depth: depth, wanted: nil)
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { i += 1; return }
            while true {
                skipSpace()
                try value(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"))
                return
            }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard i + expected.count <= bytes.count, bytes[i..<(i + expected.count)].elementsEqual(expected) else {
            throw Failure(offset: i, message: "invalid literal")
        }
        i += expected.count
    }

    private mutating func number() throws(Failure) {
        let start = i
        if peek == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let from = i
            while let b = peek, b >= 0x30, b <= 0x39 { i += 1 }
            return i - from
        }
        if peek == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw Failure(offset: start, message: "expected a JSON value") }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw Failure(offset: i, message: "expected digits after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw Failure(offset: i, message: "expected digits in the exponent") }
        }
    }

    /// A JSON string, raw bytes copied as they are (the input is valid UTF-8, checked by the caller).
    private mutating func string() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while true {
            guard let b = peek else { throw Failure(offset: i, message: "unterminated string") }
            i += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw Failure(offset: i, message: "unterminated escape") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard peek == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                            throw Failure(offset: i, message: "a high surrogate escape without its low surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Failure(offset: i, message: "expected a low surrogate escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw Failure(offset: i, message: "a low surrogate escape without its high surrogate")
                    }
                    out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw Failure(offset: i - 1, message: "invalid escape")
                }
            case 0x00..<0x20:
                throw Failure(offset: i - 1, message: "a control character must be escaped in a JSON string")
            default:
                out.append(b)
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= bytes.count else { throw Failure(offset: i, message: "expected four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: throw Failure(offset: i, message: "expected four hex digits")
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }
}
