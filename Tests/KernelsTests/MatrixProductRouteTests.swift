import Testing
@testable import Kernels

/// Which kernel each product takes. Every route gives correct results (the logits tests check them), so a
/// product that silently fell to a slow path would pass them all: F16 decode once lost its register-widening
/// kernel this way and ran at half speed. This pins the fast route of every storage type, from lists written
/// here rather than read back from the traits the routes themselves consult.
struct MatrixProductRouteTests {
    static let legacy: [TensorType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0]
    static let quantized: [TensorType] = legacy + [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
    /// The legacy formats whose stored quants fit the AVX2 int8 tiles' 16-bit sums.
    static let smallQuants: [TensorType] = [.q4_0, .q4_1, .q5_0, .q5_1]

    @Test func decodeTakesTheDedicatedKernelOfEveryType() {
        for type in Self.quantized {
            #expect(MatrixProduct.Route(type: type, columns: 4608, tokens: 1) == .integerDecode(type), "\(type)")
        }
        #expect(MatrixProduct.Route(type: .f16, columns: 4544, tokens: 1) == .halfDecode(bfloat16: false))
        #expect(MatrixProduct.Route(type: .bf16, columns: 4544, tokens: 1) == .halfDecode(bfloat16: true))
        #expect(MatrixProduct.Route(type: .f32, columns: 4544, tokens: 1) == .floatRows)
    }

    @Test(.enabled(if: QuantizedKernels.usesAVX2, "the panel kernel needs AVX2/F16C"))
    func prefillTakesThePanelKernelOfEveryType() {
        for type in Self.quantized + [.f32, .f16, .bf16] {
            // The legacy formats take the int8 tiles where the CPU has AVX-512 VNNI, and the 4- and 5-bit ones
            // where it has AVX2 alone (facts about the CPU, not about the type, so a format that lost its
            // tiles fails here).
            let int8 = QuantizedKernels.usesVNNI512 ? Self.legacy.contains(type) : Self.smallQuants.contains(type)
            #expect(MatrixProduct.Route(type: type, columns: 4608, tokens: 7) == (int8 ? .int8Tiles : .panels), "\(type)")
        }
        // Rows the panel kernel cannot take (not a multiple of 8 values) fall back to BLAS tiles.
        #expect(MatrixProduct.Route(type: .f16, columns: 4541, tokens: 7) == .blasTiles)
    }

    /// The C table's traits, against what each type is known to have.
    @Test func theTraitsTableListsTheBodiesOfEveryType() {
        for type in TensorType.allCases {
            #expect(type.hasIntegerDecode == Self.quantized.contains(type), "\(type) decode")
            #expect(type.hasPanelPrefill == (Self.quantized + [.f32, .f16, .bf16]).contains(type), "\(type) panels")
            #expect(type.hasInt8Prefill == Self.legacy.contains(type), "\(type) int8 tiles")
            #expect(type.hasAVX2Int8Prefill == Self.smallQuants.contains(type), "\(type) AVX2 int8 tiles")
        }
        #expect(Set(TensorType.weightFormats) == Set(Self.quantized))
        #expect(TensorType.quantFormats.count == Self.quantized.count + 2, "the weight formats and Q8_1, Q8_K")
    }
}
