/// Finds special tokens written literally in text, leftmost first and then longest, as Hugging Face's added
/// vocabulary does, so `<|endoftext|>` typed by a user is one token.
struct SpecialTokenMatcher {
    private let tokens: [(bytes: [UInt8], id: TokenID)]  // longest first
    private var startsToken = [Bool](repeating: false, count: 256)

    init(_ tokens: [(bytes: [UInt8], id: TokenID)]) {
        self.tokens = tokens.filter { !$0.bytes.isEmpty }.sorted { $0.bytes.count > $1.bytes.count }
        for token in self.tokens { startsToken[Int(token.bytes[0])] = true }
    }

    /// Calls `body` with each ordinary segment (id nil) and each special token (its range and id), in order.
    @inline(__always)
    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, TokenID?) -> Void) {
        var segmentStart = 0
        var i = 0
        if !tokens.isEmpty {
            while i < text.count {
                guard startsToken[Int(text[i])], let token = match(text, at: i) else {
                    i += 1
                    continue
                }
                if segmentStart < i { body(segmentStart..<i, nil) }
                body(i..<(i + token.bytes.count), token.id)
                i += token.bytes.count
                segmentStart = i
            }
        }
        if segmentStart < text.count { body(segmentStart..<text.count, nil) }
    }

    private func match(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> (bytes: [UInt8], id: TokenID)? {
        for token in tokens where token.bytes.count <= text.count - i {
            var equal = true
            for (k, byte) in token.bytes.enumerated() where text[i + k] != byte {
                equal = false
                break
            }
            if equal { return token }
        }
        return nil
    }
}
