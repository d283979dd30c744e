import Tokenization

/// The benchmarks' token ids: fixed pseudo-random values (a 64-bit LCG from one seed) within the vocabulary,
/// so that runs, and our figures and llama.cpp's, are comparable.
struct BenchTokens {
    private var state: UInt64 = 0x5EED
    let vocabulary: Int

    init(vocabulary: Int) { self.vocabulary = vocabulary }

    mutating func next() -> TokenID {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return TokenID(truncatingIfNeeded: (state >> 33) % UInt64(vocabulary))
    }

    mutating func next(_ count: Int) -> [TokenID] { (0..<count).map { _ in next() } }
}
