/// The character classes Falcon's pre-tokenizer distinguishes, for every Unicode scalar.
///
/// `punctuation` wins over the others because the Punctuation stage runs first: it is Unicode's P* categories
/// plus every ASCII punctuation character (`$`, `+`, `<`, `=`, `>`, `^`, `` ` ``, `|`, `~` included, which
/// Unicode files under symbols). `whitespace` is the GPT-2 regex's `\s`. The classes come from the tables
/// Hugging Face `tokenizers` itself uses (`FalconScalarClasses.swift`), not from Swift's newer Unicode data.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, punctuation, other

    /// Classes of the Basic Multilingual Plane, expanded once from the runs; other planes use binary search.
    private static let basicPlane: [ScalarClass] = {
        var table = [ScalarClass](repeating: .other, count: 0x10000)
        for (index, start) in runStarts.enumerated() where start < 0x10000 {
            let end = index + 1 < runStarts.count ? min(runStarts[index + 1], 0x10000) : 0x10000
            let cls = ScalarClass(rawValue: runClasses[index])!
            for value in Int(start)..<Int(end) { table[value] = cls }
        }
        return table
    }()

    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x10000 { return basicPlane[Int(value)] }
        return ofSupplementary(value)
    }

    private static func ofSupplementary(_ value: UInt32) -> ScalarClass {
        // The last run starting at or before `value`.
        var low = 0, high = runStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if runStarts[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return ScalarClass(rawValue: runClasses[low]) ?? .other
    }

    static func isASCIIPunctuation(_ byte: UInt8) -> Bool {
        (0x21...0x2F).contains(byte) || (0x3A...0x40).contains(byte)
            || (0x5B...0x60).contains(byte) || (0x7B...0x7E).contains(byte)
    }
}
