import CKernels
import Testing
@testable import Kernels

/// The Swift type and the C table describe the same blocks, and users are offered the same choices as before.
struct TensorTypeTests {
    @Test(arguments: TensorType.allCases)
    func theCTableAgreesWithTheSwiftLayout(_ type: TensorType) {
        let c = ck_type_traits(type.rawValue)
        guard c.block_values > 0 else {
            #expect(!type.isComputable, "\(type) is computed but the kernels do not know it")
            return
        }
        #expect(Int(c.block_values) == type.blockSize, "\(type) block size")
        #expect(Int(c.block_bytes) == type.bytesPerBlock, "\(type) block bytes")
    }

    @Test func activationFormatsAreLlamaCppsVecDotTypes() {
        for type in [TensorType.q4_0, .q5_0, .q8_0] { #expect(type.activationFormat == .q8_0) }
        for type in [TensorType.q4_1, .q5_1] { #expect(type.activationFormat == .q8_1) }
        for type in [TensorType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K] { #expect(type.activationFormat == .q8_K) }
        for type in [TensorType.f32, .f16, .bf16, .q8_1, .q8_K, .iq2_xxs] { #expect(type.activationFormat == nil, "\(type)") }
    }

    @Test func theFileTypesAreTheChoicesOfferedBefore() {
        #expect(TensorType.fileTypes.map(\.argumentName) == ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k"])
        #expect(TensorType(fileTypeName: "Q4_K") == .q4_K)
        #expect(TensorType(fileTypeName: "q2_k") == nil)
        #expect(TensorType(fileTypeName: "iq2_xxs") == nil)
    }

    /// Plain rows round-trip through `quantize` and `dequantize` (quant blocks are checked against the
    /// reference in QuantKernelTests).
    @Test func plainTypesRoundTrip() {
        let values: [Float] = [0, 1, -2.5, 65504, 1e-3, -0.0, 3.140625, 7]
        for type in [TensorType.f32, .f16, .bf16] {
            var bytes = [UInt8](repeating: 0, count: type.rowBytes(count: values.count))
            var back = [Float](repeating: .nan, count: values.count)
            bytes.withUnsafeMutableBytes { b in
                values.withUnsafeBufferPointer { type.quantize($0.baseAddress!, count: values.count, into: b.baseAddress!) }
                type.dequantize(UnsafeRawPointer(b.baseAddress!), count: values.count, into: &back)
            }
            let expected = values.map { v -> Float in
                switch type {
                case .f16: return HalfPrecision.float(fromHalf: HalfPrecision.half(from: v))
                case .bf16: return HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: v))
                default: return v
                }
            }
            #expect(back.map(\.bitPattern) == expected.map(\.bitPattern), "\(type)")
        }
    }
}
