/// A bounded memo from a piece's bytes to its token ids.
///
/// Natural text repeats its words, so most pieces are found here and skip merging entirely. Keys and values
/// live in two flat arenas; the table is cleared when it reaches its budget, so memory stays bounded however
/// much text goes through.
struct WordCache {
    private struct Entry {
        var hash: UInt64
        var keyStart: Int32
        var keyLength: Int32
        var valueStart: Int32
        var valueLength: Int32
    }

    /// Pieces longer than this are not worth remembering.
    static let maximumKeyLength = 48

    private var slots: [Int32]  // index into entries, or -1
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []
    private var valueIDs: [Int32] = []
    private let maximumEntries: Int

    init(maximumEntries: Int = 1 << 17) {
        self.maximumEntries = maximumEntries
        var size = 1024
        while size < maximumEntries * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        entries.reserveCapacity(maximumEntries)
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        return h
    }

    /// Appends the cached ids of `bytes` to `output` and returns true, or returns false on a miss.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64, into output: inout [Int32]) -> Bool {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: hash >> 20) & mask
        while true {
            let index = slots[s]
            if index < 0 { return false }
            let entry = entries[Int(index)]
            if entry.hash == hash, Int(entry.keyLength) == bytes.count, keyMatches(entry, bytes) {
                let start = Int(entry.valueStart)
                output.append(contentsOf: valueIDs[start..<(start + Int(entry.valueLength))])
                return true
            }
            s = (s + 1) & mask
        }
    }

    @inline(__always)
    private func keyMatches(_ entry: Entry, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        keyBytes.withUnsafeBufferPointer { keys in
            let start = Int(entry.keyStart)
            for i in 0..<bytes.count where keys[start + i] != bytes[i] { return false }
            return true
        }
    }

    mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int32>) {
        if entries.count >= maximumEntries { removeAll() }
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: hash >> 20) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(entries.count)
        entries.append(Entry(hash: hash, keyStart: Int32(keyBytes.count), keyLength: Int32(bytes.count),
                             valueStart: Int32(valueIDs.count), valueLength: Int32(ids.count)))
        keyBytes.append(contentsOf: bytes)
        valueIDs.append(contentsOf: ids)
    }

    mutating func removeAll() {
        for i in slots.indices { slots[i] = -1 }
        entries.removeAll(keepingCapacity: true)
        keyBytes.removeAll(keepingCapacity: true)
        valueIDs.removeAll(keepingCapacity: true)
    }
}
