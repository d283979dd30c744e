import Testing
import TestSupport
import Tokenization
@testable import Engine

/// The debugging observer only observes. It once made the last layer compute every row instead of only the
/// last one, which sends the last row's products down the prefill kernels instead of the decode ones: the
/// logits then differed with and without it.
@Suite(.enabled(if: SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.Q8_0.gguf") != nil, "needs ../shared/reference/gguf/random"))
struct LayerObserverTests {
    @Test(arguments: ["Q8_0", "F32"])
    func logitsAreIdenticalWithAndWithoutTheObserver(_ type: String) throws {
        let path = try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.\(type).gguf")).path
        let model = try FalconModel(path: path, threads: 2)
        let prompt: [TokenID] = [11, 42, 7, 300, 5, 99, 1000, 3, 250]

        let plain = try model.makeSession().append(prompt)

        let observed = model.makeSession()
        var seen: [(layer: Int, rows: Int)] = []
        observed.layerObserver = { layer, _, rows in seen.append((layer, rows)) }
        let withObserver = try observed.append(prompt)

        #expect(withObserver.map(\.bitPattern) == plain.map(\.bitPattern))
        let layers = model.config.layerCount
        #expect(seen.map(\.layer) == Array(0...layers))
        #expect(seen.dropLast().allSatisfy { $0.rows == prompt.count }, "every row until the last layer")
        #expect(seen.last?.rows == 1, "the last layer computes only the row whose logits are wanted")
    }
}
