/// Byte-pair merging of one pre-tokenized piece into token ids.
///
/// Pieces start as one symbol per byte. A byte with no token of its own (Falcon has 28 of them) is dropped
/// before merging, exactly as Hugging Face's BPE does without an unk token. Then the lowest-ranked adjacent
/// pair is merged, leftmost first, until no pair has a rule.
struct BytePairEncoder {
    /// The token of each single byte, or -1.
    let byteTokens: [Int32]
    let merges: MergeTable

    /// Pieces up to this many symbols use the simple rescanning loop; longer ones the heap (no quadratic blow-up).
    static let shortPieceLimit = 96

    @inline(__always)
    func encode(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if bytes.count <= Self.shortPieceLimit {
            encodeShort(bytes, into: &output)
        } else {
            encodeLong(bytes, into: &output)
        }
    }

    /// The reference algorithm: rescan the pair ranks after every merge. O(n²) compares, O(n) hash lookups.
    func encodeShort(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: bytes.count) { symbols in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: bytes.count) { ranks in
                var count = 0
                byteTokens.withUnsafeBufferPointer { byteTokens in
                    for byte in bytes {
                        let token = byteTokens[Int(byte)]
                        if token >= 0 {
                            symbols[count] = token
                            count += 1
                        }
                    }
                }
                if count > 1 {
                    for i in 0..<(count - 1) { ranks[i] = merges.lookup(symbols[i], symbols[i + 1])?.rank ?? .max }
                    while true {
                        var best = 0
                        var bestRank = UInt32.max
                        for i in 0..<(count - 1) where ranks[i] < bestRank {
                            bestRank = ranks[i]
                            best = i
                        }
                        if bestRank == .max { break }
                        symbols[best] = merges.lookup(symbols[best], symbols[best + 1])!.merged
                        // Close the gap left by the right symbol and its pair.
                        var i = best + 1
                        while i < count - 1 {
                            symbols[i] = symbols[i + 1]
                            ranks[i] = ranks[i + 1]
                            i += 1
                        }
                        count -= 1
                        if best > 0 { ranks[best - 1] = merges.lookup(symbols[best - 1], symbols[best])?.rank ?? .max }
                        if best < count - 1 { ranks[best] = merges.lookup(symbols[best], symbols[best + 1])?.rank ?? .max }
                    }
                }
                for i in 0..<count { output.append(symbols[i]) }
            }
        }
    }

    /// The same merges through a min-heap of candidate pairs over a linked list: O(n log n) for long pieces
    /// (a megabyte of letters without a space must not hang the tokenizer).
    func encodeLong(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for byte in bytes where byteTokens[Int(byte)] >= 0 { symbols.append(byteTokens[Int(byte)]) }
        let n = symbols.count
        if n < 2 {
            output.append(contentsOf: symbols)
            return
        }
        var next = Array(1...n)  // n means "none"
        var previous = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        for i in 0..<(n - 1) {
            if let rule = merges.lookup(symbols[i], symbols[i + 1]) { heap.push(rank: rule.rank, position: i) }
        }
        while let candidate = heap.pop() {
            let left = candidate.position
            guard alive[left] else { continue }
            let right = next[left]
            guard right < n, let rule = merges.lookup(symbols[left], symbols[right]), rule.rank == candidate.rank else { continue }
            symbols[left] = rule.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] < n { previous[next[right]] = left }
            let before = previous[left]
            if before >= 0, let r = merges.lookup(symbols[before], symbols[left]) { heap.push(rank: r.rank, position: before) }
            if next[left] < n, let r = merges.lookup(symbols[left], symbols[next[left]]) { heap.push(rank: r.rank, position: left) }
        }
        var i = 0
        while i < n {
            output.append(symbols[i])
            i = next[i]
        }
    }
}

/// A binary min-heap of (rank, position), ties broken by position so the leftmost pair merges first.
struct PairHeap {
    private var items: [UInt64] = []

    mutating func push(rank: UInt32, position: Int) {
        items.append(UInt64(rank) << 32 | UInt64(position))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[parent] <= items[child] { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> (rank: UInt32, position: Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                if left >= items.count { break }
                let smaller = left + 1 < items.count && items[left + 1] < items[left] ? left + 1 : left
                if items[parent] <= items[smaller] { break }
                items.swapAt(parent, smaller)
                parent = smaller
            }
        }
        return (UInt32(top >> 32), Int(top & 0xFFFF_FFFF))
    }
}
