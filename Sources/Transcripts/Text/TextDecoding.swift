import Foundation

/// Bytes to text for the line-based formats: a BOM chooses UTF-8, UTF-16LE or UTF-16BE; without one the
/// bytes must be UTF-8 (the error names the first bad byte). Binary files are refused early.
enum TextDecoding {
    static func decode(_ data: Data, source: String) throws -> String {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return try utf8(Array(bytes.dropFirst(3)), source: source, offset: 3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let encoding: String.Encoding = bytes[0] == 0xFF ? .utf16LittleEndian : .utf16BigEndian
            guard bytes.count % 2 == 0, let text = String(data: Data(bytes.dropFirst(2)), encoding: encoding) else {
                throw TranscriptError(file: source, "the UTF-16 text (byte-order mark at byte 0) is malformed")
            }
            return text
        }
        // UTF-16 without a BOM: every other byte zero in the first line.
        if bytes.count >= 4, bytes[1] == 0, bytes[3] == 0, bytes[0] != 0 {
            if let text = String(data: data, encoding: .utf16LittleEndian) { return text }
        }
        return try utf8(bytes, source: source, offset: 0)
    }

    private static func utf8(_ bytes: [UInt8], source: String, offset: Int) throws -> String {
        if let zero = bytes.prefix(4096).firstIndex(of: 0) {
            throw TranscriptError(file: source, .byteOffset(zero + offset), "a NUL byte: this is a binary file, not a transcript")
        }
        // Validate first, then decode once: appending scalars to a String one by one can recopy it.
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var position = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                position += UTF8.width(scalar)
            case .emptyInput:
                return String(decoding: bytes, as: UTF8.self)
            case .error:
                throw TranscriptError(file: source, .byteOffset(position + offset), "invalid UTF-8 (convert the file to UTF-8, e.g. with iconv)")
            }
        }
    }

    /// Lines with their 1-based numbers; CRLF, CR and LF all end a line.
    ///
    /// Cut on the UTF-8 bytes: splitting the String by Characters ran grapheme breaking over every byte of the
    /// file (a fifth of the ORFEO reader's time). The lines are the same, since a line end is always a grapheme
    /// boundary in Unicode's rules.
    static func lines(_ text: String) -> [(number: Int, text: String)] {
        var result: [(Int, String)] = []
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let byte = utf8[i]
            if byte == 0x0A || byte == 0x0D {
                result.append((result.count + 1, String(text[lineStart..<i])))
                i = utf8.index(after: i)
                if byte == 0x0D, i != utf8.endIndex, utf8[i] == 0x0A { i = utf8.index(after: i) }
                lineStart = i
            } else {
                i = utf8.index(after: i)
            }
        }
        result.append((result.count + 1, String(text[lineStart...])))
        return result
    }
}

/// Timestamps of subtitle formats: `hh:mm:ss.mmm`, `mm:ss.mmm` (WebVTT), `hh:mm:ss,mmm` (SRT).
enum Timestamp {
    static func seconds(_ text: Substring) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let secondsPart = parts.last!.replacingOccurrences(of: ",", with: ".")
        guard let s = Double(secondsPart), s >= 0, s < 60 else { return nil }
        var total = s
        var multiplier = 60.0
        for part in parts.dropLast().reversed() {
            guard let value = Int(part), value >= 0, part.allSatisfy(\.isASCII) else { return nil }
            total += Double(value) * multiplier
            multiplier *= 60
        }
        return total
    }
}
