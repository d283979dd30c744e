/// The BPE merge rules as an open-addressing hash table from a pair of token ids to (rank, merged id).
///
/// Lookups sit in the innermost loop of encoding, so this avoids `Dictionary`'s generic hashing: keys are the
/// two ids packed into a `UInt64`, hashed by one multiplication.
struct MergeTable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private let mask: Int
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    /// Records a merge; an earlier rule for the same pair wins, as in Hugging Face's loader.
    mutating func insert(left: Int32, right: Int32, rank: UInt32, merged: Int32) {
        let k = Self.key(left, right)
        var s = slot(for: k)
        while keys[s] != Self.empty {
            if keys[s] == k { return }
            s = (s + 1) & mask
        }
        keys[s] = k
        values[s] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// (rank, merged id) of the rule for this pair, or nil when the pair never merges.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> (rank: UInt32, merged: Int32)? {
        let k = Self.key(left, right)
        var s = slot(for: k)
        return keys.withUnsafeBufferPointer { keys in
            while true {
                let found = keys[s]
                if found == k {
                    let v = values[s]
                    return (UInt32(truncatingIfNeeded: v >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: v)))
                }
                if found == Self.empty { return nil }
                s = (s + 1) & mask
            }
        }
    }
}
