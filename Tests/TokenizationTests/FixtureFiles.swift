import Foundation

/// The tokenizer oracles copied from `../shared/reference/tokenizer/falcon` (see Fixtures/SOURCE.md).
enum FixtureFiles {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
    }

    static let tokenizer: FalconTokenizerBox = FalconTokenizerBox()
}

import Tokenization

/// Loads the Falcon tokenizer once for all tests.
final class FalconTokenizerBox: @unchecked Sendable {
    lazy var value: FalconTokenizer = try! FalconTokenizer(contentsOf: FixtureFiles.url("tokenizer.json"))
}
