/// Falcon's pre-tokenizer, fused into one pass over UTF-8 bytes.
///
/// `tokenizer.json` chains four stages; each one only ever splits the pieces of the one before, so they can
/// run as nested scans without building intermediate strings:
///
/// 1. `Punctuation` (Contiguous): runs of punctuation become pieces of their own.
/// 2. `ByteLevel` with the GPT-2 regex `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
///    no prefix space. The contraction alternatives can never match: `'` is punctuation, already cut off.
/// 3. `Digits` (Contiguous) — on the byte-level spelling, so the bytes whose GPT-2 characters are numeric
///    (`0-9`, and `²³¹¼½¾` = B2 B3 B9 BC BD BE, which occur inside UTF-8 sequences) are cut off too.
/// 4. `Split` on `[0-9][0-9][0-9]`, Isolated: numbers are cut into groups of three from the left.
enum FalconPreTokenizer {
    /// Calls `emit(start, end)` for every final piece of `text[range]`, in order.
    @inline(__always)
    static func split(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ emit: (Int, Int) -> Void) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let first = UTF8Scalar.decode(text, at: i, end: end)
            let isPunctuation = ScalarClass.of(first.value) == .punctuation
            var j = i + first.length
            while j < end {
                let next = UTF8Scalar.decode(text, at: j, end: end)
                if (ScalarClass.of(next.value) == .punctuation) != isPunctuation { break }
                j += next.length
            }
            if isPunctuation {
                // A punctuation run matches ` ?[^\s\p{L}\p{N}]+` whole.
                splitDigits(text, i, j, emit)
            } else {
                splitRegex(text, i, j, emit)
            }
            i = j
        }
    }

    /// Stage 2 on a run free of punctuation.
    @inline(__always)
    private static func splitRegex(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ emit: (Int, Int) -> Void) {
        var p = start
        while p < end {
            let here = UTF8Scalar.decode(text, at: p, end: end)
            var cls = ScalarClass.of(here.value)
            var runStart = p + here.length
            if here.value == 0x20, runStart < end {
                // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: a single space joins the run after it.
                let next = UTF8Scalar.decode(text, at: runStart, end: end)
                let nextClass = ScalarClass.of(next.value)
                if nextClass != .whitespace {
                    cls = nextClass
                    runStart += next.length
                }
            }
            if cls != .whitespace {
                let q = scanRun(text, from: runStart, end: end, of: cls)
                splitDigits(text, p, q, emit)
                p = q
                continue
            }
            // Whitespace: `\s+(?!\S)` takes the run but leaves its last character to the word after it;
            // a lone whitespace character before a non-space falls to `\s+`.
            var q = runStart
            var lastStart = p
            while q < end {
                let next = UTF8Scalar.decode(text, at: q, end: end)
                if ScalarClass.of(next.value) != .whitespace { break }
                lastStart = q
                q += next.length
            }
            if q < end, lastStart > p {
                q = lastStart
            }
            splitDigits(text, p, q, emit)
            p = q
        }
    }

    @inline(__always)
    private static func scanRun(_ text: UnsafeBufferPointer<UInt8>, from start: Int, end: Int, of cls: ScalarClass) -> Int {
        var q = start
        while q < end {
            let next = UTF8Scalar.decode(text, at: q, end: end)
            if ScalarClass.of(next.value) != cls { break }
            q += next.length
        }
        return q
    }

    /// Stages 3 and 4 on one regex match.
    @inline(__always)
    private static func splitDigits(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ emit: (Int, Int) -> Void) {
        var k = start
        while k < end {
            let numeric = isNumericByte(text[k])
            var m = k + 1
            while m < end, isNumericByte(text[m]) == numeric { m += 1 }
            if numeric {
                splitTriples(text, k, m, emit)
            } else {
                emit(k, m)
            }
            k = m
        }
    }

    @inline(__always)
    private static func splitTriples(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ emit: (Int, Int) -> Void) {
        var pieceStart = start
        var t = start
        while t + 2 < end {
            if isDigit(text[t]), isDigit(text[t + 1]), isDigit(text[t + 2]) {
                if pieceStart < t { emit(pieceStart, t) }
                emit(t, t + 3)
                t += 3
                pieceStart = t
            } else {
                t += 1
            }
        }
        if pieceStart < end { emit(pieceStart, end) }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Bytes whose GPT-2 character is Unicode-numeric: the ASCII digits and ² ³ ¹ ¼ ½ ¾.
    @inline(__always)
    static func isNumericByte(_ byte: UInt8) -> Bool {
        if byte &- 0x30 < 10 { return true }
        switch byte {
        case 0xB2, 0xB3, 0xB9, 0xBC, 0xBD, 0xBE: return true
        default: return false
        }
    }
}

/// One decoded scalar: its value and how many UTF-8 bytes it took.
struct UTF8Scalar {
    var value: UInt32
    var length: Int

    /// Decodes the scalar at `i`. The input is valid UTF-8 (it comes from a Swift `String` or was validated);
    /// a truncated sequence at `end` still advances, so a scan can never stall.
    @inline(__always)
    static func decode(_ text: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> UTF8Scalar {
        let b0 = UInt32(text[i])
        if b0 < 0x80 { return UTF8Scalar(value: b0, length: 1) }
        if b0 < 0xE0, i + 1 < end {
            return UTF8Scalar(value: (b0 & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F), length: 2)
        }
        if b0 < 0xF0, i + 2 < end {
            return UTF8Scalar(value: (b0 & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F), length: 3)
        }
        if i + 3 < end {
            return UTF8Scalar(value: (b0 & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12
                | UInt32(text[i + 2] & 0x3F) << 6 | UInt32(text[i + 3] & 0x3F), length: 4)
        }
        return UTF8Scalar(value: 0xFFFD, length: 1)
    }
}
