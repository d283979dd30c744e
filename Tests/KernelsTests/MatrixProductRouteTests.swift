import Testing
@testable import Engine
@testable import Kernels
import ModelFiles

/// Which kernel each product takes. Every route gives correct results (the logits tests check them), so a
/// product that silently fell to a slow path would pass them all: F16 decode once lost its register-widening
/// kernel this way and ran at half speed. This pins the fast route of every storage type.
struct LinearRouteTests {
    static let quantized: [TensorType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    @Test func decodeTakesTheDedicatedKernelOfEveryType() {
        for type in Self.quantized {
            #expect(LinearKernels.route(for: type, columns: 4608, tokens: 1) == .integerDecode(QuantFormat(rawValue: type.rawValue)!), "\(type)")
        }
        #expect(LinearKernels.route(for: .f16, columns: 4544, tokens: 1) == .halfDecode(bfloat16: false))
        #expect(LinearKernels.route(for: .bf16, columns: 4544, tokens: 1) == .halfDecode(bfloat16: true))
        #expect(LinearKernels.route(for: .f32, columns: 4544, tokens: 1) == .floatRows)
    }

    @Test(.enabled(if: QuantizedKernels.usesAVX2, "the panel kernel needs AVX2/F16C"))
    func prefillTakesThePanelKernelOfEveryType() {
        for type in Self.quantized + [.f32, .f16, .bf16] {
            // The legacy formats take the int8 tiles where the CPU has AVX-512 VNNI.
            let int8 = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0].contains(type) && Int8Product.isAvailable(type: type.rawValue, columns: 4608)
            #expect(LinearKernels.route(for: type, columns: 4608, tokens: 7) == (int8 ? .int8Tiles : .panels), "\(type)")
        }
        // Rows the panel kernel cannot take (not a multiple of 8 values) fall back to BLAS tiles.
        #expect(LinearKernels.route(for: .f16, columns: 4541, tokens: 7) == .blasTiles)
    }
}
