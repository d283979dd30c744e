import Foundation
import Testing
@testable import Kernels

/// What the batched engine relies on for a sequence's output not to depend on its batch: `multiplyEachToken`
/// gives every token's row exactly (bit for bit) what a one-token product gives, and `multiplyPromptRows`
/// gives a row the same bits whatever the number of rows beside it, one included.
struct RowIndependenceTests {
    static let types: [TensorType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .f16, .bf16, .f32]

    /// A seeded matrix of `type` (rows × columns) and its product.
    static func matrix(_ type: TensorType, rows: Int, columns: Int) -> (UnsafeMutableRawPointer, WeightMatrix) {
        let rowBytes = type.rowBytes(count: columns)
        let base = UnsafeMutableRawPointer.allocate(byteCount: rowBytes * rows, alignment: 64)
        for r in 0..<rows {
            let values = (0..<columns).map { Float(sin(Double(r * 131 + $0) * 0.37)) * 0.1 }
            values.withUnsafeBufferPointer { type.quantize($0.baseAddress!, count: columns, into: base + r * rowBytes) }
        }
        return (base, WeightMatrix(name: "test", type: type, rows: rows, columns: columns, base: base))
    }

    @Test(arguments: types)
    func eachTokenIsTheOneTokenProductAndPromptRowsIgnoreTheirNeighbours(type: TensorType) {
        // 200 rows: three decode chunks and a short one; token counts that fill the multi-token bodies'
        // column groups (4) exactly, leave one column, and leave three.
        let rows = 200, columns = 512
        let (base, weight) = Self.matrix(type, rows: rows, columns: columns)
        defer { base.deallocate() }
        let product = MatrixProduct(pool: ThreadPool(threads: 2), maximumColumns: columns, maximumTokens: 16)
        for tokens in [2, 5, 7, 8] {
            let x = (0..<(tokens * columns)).map { Float(cos(Double($0) * 0.013)) }
            var alone = [Float](repeating: 0, count: tokens * rows)
            var together = [Float](repeating: 0, count: tokens * rows)
            var promptAlone = [Float](repeating: 0, count: tokens * rows)
            var promptTogether = [Float](repeating: 0, count: tokens * rows)
            x.withUnsafeBufferPointer { x in
                for t in 0..<tokens {
                    alone.withUnsafeMutableBufferPointer { product.multiply(x.baseAddress! + t * columns, tokens: 1, by: weight, into: $0.baseAddress! + t * rows) }
                    promptAlone.withUnsafeMutableBufferPointer {
                        product.multiplyPromptRows(x.baseAddress! + t * columns, tokens: 1, by: weight, into: $0.baseAddress! + t * rows)
                    }
                }
                together.withUnsafeMutableBufferPointer { product.multiplyEachToken(x.baseAddress!, tokens: tokens, by: weight, into: $0.baseAddress!) }
                promptTogether.withUnsafeMutableBufferPointer { product.multiplyPromptRows(x.baseAddress!, tokens: tokens, by: weight, into: $0.baseAddress!) }
            }
            #expect(together == alone, "\(type), \(tokens) tokens: multiplyEachToken differs from one-token products")
            #expect(promptTogether == promptAlone, "\(type), \(tokens) tokens: a prompt row depends on the rows beside it")
        }
    }
}
