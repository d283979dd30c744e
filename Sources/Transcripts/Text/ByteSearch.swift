import Foundation

/// Format detection looks for ASCII markers in a file's first bytes. Every reader is asked about every file,
/// so the search runs on bytes: decoding a String and searching it through Foundation cost more than reading
/// a small TEI play.
enum ByteSearch {
    /// Whether `needle` occurs in the first `limit` bytes of `data`.
    static func contains(_ data: Data, within limit: Int, _ needle: StaticString) -> Bool {
        data.prefix(limit).withUnsafeBytes { haystack in
            let wanted = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
            guard let first = wanted.first, haystack.count >= wanted.count else { return false }
            let bytes = haystack.bindMemory(to: UInt8.self)
            var index = 0
            while index + wanted.count <= bytes.count {
                // memchr finds the candidates; most heads hold the first byte only a few times.
                guard let hit = memchr(bytes.baseAddress! + index, Int32(first), bytes.count - wanted.count + 1 - index) else { return false }
                let position = bytes.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(bytes.baseAddress! + position, wanted.baseAddress!, wanted.count) == 0 { return true }
                index = position + 1
            }
            return false
        }
    }

    /// Whether the first `limit` bytes hold an SRT timing line's start: `00:00:01,000 -->`.
    static func containsSRTTiming(_ data: Data, within limit: Int) -> Bool {
        let bytes = Array(data.prefix(limit))
        func digit(_ i: Int) -> Bool { i >= 0 && i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        var i = 0
        while i + 2 < bytes.count {
            defer { i += 1 }
            guard bytes[i] == UInt8(ascii: "-"), bytes[i + 1] == UInt8(ascii: "-"), bytes[i + 2] == UInt8(ascii: ">") else { continue }
            var end = i - 1
            while end >= 0, bytes[end] == 0x20 || bytes[end] == 0x09 || bytes[end] == 0x0D || bytes[end] == 0x0A { end -= 1 }
            // hh:mm:ss,mmm ends at `end`.
            let start = end - 11
            guard start >= 0, digit(start), digit(start + 1), bytes[start + 2] == UInt8(ascii: ":"), digit(start + 3), digit(start + 4),
                  bytes[start + 5] == UInt8(ascii: ":"), digit(start + 6), digit(start + 7), bytes[start + 8] == UInt8(ascii: ","),
                  digit(start + 9), digit(start + 10), digit(start + 11) else { continue }
            return true
        }
        return false
    }
}
