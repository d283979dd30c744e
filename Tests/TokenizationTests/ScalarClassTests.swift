import Foundation
import Testing
@testable import Tokenization

/// Every Unicode scalar's class against the table Hugging Face `tokenizers` produced (Fixtures/SOURCE.md).
struct ScalarClassTests {
    @Test func everyScalarMatchesHuggingFace() throws {
        let table = try String(contentsOf: FixtureFiles.url("falcon-scalar-classes.txt"), encoding: .utf8)
        var checked = 0
        var mismatches: [String] = []
        for line in table.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            let first = try #require(UInt32(fields[0], radix: 16)), last = try #require(UInt32(fields[1], radix: 16))
            let expected: ScalarClass = switch fields[2] {
                case "P": .punctuation
                case "L": .letter
                case "N": .number
                case "S": .whitespace
                default: .other
            }
            for value in first...last {
                checked += 1
                let actual = ScalarClass.of(value)
                if actual != expected {
                    mismatches.append(String(format: "U+%04X: %@ expected %@", value, "\(actual)", "\(expected)"))
                }
            }
        }
        #expect(checked == 0x110000 - 0x800)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "; "))")
    }
}
