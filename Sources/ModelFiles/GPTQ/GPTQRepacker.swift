import Foundation
import Kernels

/// Rewrites a GPTQ layer's integers into one of our block formats without going through floats, so the engine
/// runs its int8 kernels (decode and prefill) on them unchanged.
///
/// Why it is exact: after a stable sort of the input columns by `g_idx`, every group is a contiguous run of
/// columns. When every run starts and ends on a multiple of 32, each 32-column block has one scale and one
/// zero per output row, and
/// - 4-bit with every zero 8 (symmetric): `s·(q − 8)` is Q4_0 with `d = s`, nibble `q`;
/// - 8-bit with every zero 128 (symmetric): `s·(q − 128)` is Q8_0 with `d = s`, int8 `q − 128`;
/// - 4-bit with other zeros (asymmetric): `s·(q − z)` is Q8_0 with int8 `q − z` (|q − z| ≤ 15), twice the
///   bytes of Q4_0 but the same int8 kernels; Q4_1 would need `−s·z` in fp16, which is not exact.
/// The scale is the checkpoint's fp16, stored as the block's fp16 `d`. The engine gathers the activations
/// by the same column order once per product (`TensorView.columnOrder`).
///
/// Anything that does not fit (a group run not on a 32-column boundary, 8-bit asymmetric zeros) is
/// stored as the exact f32 dequantized rows in the file's column order: slower and four times larger, never
/// approximate. `exactFloat` asks for that layout everywhere (the reference path of the tests).
enum GPTQRepacker {
    enum Layout: String, Sendable { case q4_0 = "Q4_0", q8_0 = "Q8_0", f32 = "F32" }

    /// How one layer will be stored: decided from `g_idx` and the zeros alone, before any weight is touched.
    struct Plan: Sendable {
        var layout: Layout
        /// Stored column j holds input column `columnOrder[j]`; nil when the order is the file's.
        var columnOrder: [Int32]?
        /// Why the f32 layout was chosen, when it was not asked for.
        var fallbackReason: String?

        var tensorType: TensorType {
            switch layout {
            case .q4_0: return .q4_0
            case .q8_0: return .q8_0
            case .f32: return .f32
            }
        }
    }

    /// Output rows converted together: their words are adjacent in `qweight`'s rows.
    static let tileRows = 32

    static func plan(_ module: GPTQModule, exactFloat: Bool) -> Plan {
        if exactFloat { return Plan(layout: .f32) }
        guard module.inputs % 32 == 0 else {
            return Plan(layout: .f32, fallbackReason: "\(module.inputs) input columns are not a multiple of 32")
        }
        // Stable: equal groups keep the file's order, so a monotonic g_idx gives the identity.
        let order = (0..<module.inputs).sorted { (module.groupOfColumn[$0], $0) < (module.groupOfColumn[$1], $1) }
        for block in 0..<(module.inputs / 32) where module.groupOfColumn[order[32 * block]] != module.groupOfColumn[order[32 * block + 31]] {
            return Plan(layout: .f32, fallbackReason: "a group boundary falls inside 32-column block \(block)")
        }
        let layout: Layout
        if module.bits == 4 {
            layout = module.allZeros(equal: 8) ? .q4_0 : .q8_0
        } else if module.allZeros(equal: 128) {
            layout = .q8_0
        } else {
            // q − z spans −255…255 for 8-bit asymmetric zeros; whether it fits int8 depends on every weight.
            return Plan(layout: .f32, fallbackReason: "8-bit asymmetric zeros (q − zero may leave −128…127)")
        }
        let identity = order.enumerated().allSatisfy { $0.offset == $0.element }
        return Plan(layout: layout, columnOrder: identity ? nil : order.map { Int32($0) })
    }

    /// The layer's weight in `plan`'s layout, in a 64-byte-aligned buffer the caller owns.
    static func materialize(_ module: GPTQModule, _ plan: Plan, pool: ThreadPool) -> UnsafeMutableRawBufferPointer {
        switch plan.layout {
        case .f32: return floatRows(module, pool: pool)
        case .q4_0, .q8_0:
            let order = plan.columnOrder.map { $0.map { Int($0) } } ?? Array(0..<module.inputs)
            return blockRows(module, layout: plan.layout, order: order, pool: pool)
        }
    }

    /// The rows as Q4_0 or Q8_0 blocks (`plan` has checked that every value fits).
    private static func blockRows(_ module: GPTQModule, layout: Layout, order: [Int], pool: ThreadPool) -> UnsafeMutableRawBufferPointer {
        let inputs = module.inputs, outputs = module.outputs
        let blockBytes = layout == .q4_0 ? 18 : 34
        let rowBytes = inputs / 32 * blockBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(64, rowBytes * outputs), alignment: 64)
        let tiles = (outputs + tileRows - 1) / tileRows
        let groupOfBlock = (0..<(inputs / 32)).map { Int(module.groupOfColumn[order[32 * $0]]) }
        pool.parallelFor(tiles) { _, range in
            // The tile's integers, unpacked row-major [row][input column]: qweight is read along its rows.
            let integers = UnsafeMutablePointer<UInt8>.allocate(capacity: tileRows * inputs)
            defer { integers.deallocate() }
            for tile in range {
                let first = tile * tileRows, count = min(tileRows, outputs - first)
                module.unpack(outputs: first..<(first + count), into: integers)
                for r in 0..<count {
                    let o = first + r
                    let row = buffer.baseAddress! + o * rowBytes
                    for block in 0..<(inputs / 32) {
                        let g = groupOfBlock[block]
                        let out = row + block * blockBytes
                        out.storeBytes(of: module.scaleHalf(g, o), as: UInt16.self)
                        let columns = order[(32 * block)..<(32 * block + 32)]
                        if layout == .q4_0 {
                            for k in 0..<16 {
                                let low = integers[r * inputs + columns[columns.startIndex + k]]
                                let high = integers[r * inputs + columns[columns.startIndex + k + 16]]
                                out.storeBytes(of: low | (high << 4), toByteOffset: 2 + k, as: UInt8.self)
                            }
                        } else {
                            let z = module.zero(g, o)
                            for k in 0..<32 {
                                let value = Int(integers[r * inputs + columns[columns.startIndex + k]]) - z
                                out.storeBytes(of: Int8(truncatingIfNeeded: value), toByteOffset: 2 + k, as: Int8.self)
                            }
                        }
                    }
                }
            }
        }
        return buffer
    }

    private static func floatRows(_ module: GPTQModule, pool: ThreadPool) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(64, 4 * module.inputs * module.outputs), alignment: 64)
        let floats = buffer.baseAddress!.bindMemory(to: Float.self, capacity: module.inputs * module.outputs)
        pool.parallelFor(module.outputs) { _, rows in
            for o in rows { module.dequantizeRow(o, into: floats + o * module.inputs) }
        }
        return buffer
    }
}
