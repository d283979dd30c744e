import Foundation
import Tokenization

/// The tokenizer file's reader, and the real Falcon tokenizer's `encode` on arbitrary bytes (both as a
/// Swift string, which repairs invalid UTF-8, and through the byte-level entry point).
let tokenizerTargets: [FuzzTarget] = [
    FuzzTarget(name: "tokenizer-json") { input in
        _ = try FalconTokenizer(tokenizerJSON: input, source: "fuzz/tokenizer.json")
    },
    FuzzTarget(name: "encode", prepare: { RealTokenizer.shared = try RealTokenizer.load() }) { input in
        guard let tokenizer = RealTokenizer.shared else { return }
        let ids = tokenizer.encode(String(decoding: input, as: UTF8.self))
        _ = tokenizer.decode(ids)
        _ = input.withUnsafeBytes { raw in tokenizer.encode(utf8: raw.bindMemory(to: UInt8.self)) }
    },
]

enum RealTokenizer {
    nonisolated(unsafe) static var shared: FalconTokenizer?

    static func load() throws -> FalconTokenizer {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../TokenizationTests/Fixtures/tokenizer.json").standardizedFileURL
        return try FalconTokenizer(contentsOf: url)
    }
}
