import Foundation
import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// One GPTQ-quantized linear layer as the checkpoint stores it (`qweight`, `qzeros`, `scales`, `g_idx`),
/// checked against itself and the expected shape, with the exact decoding of
/// ../shared/reference/gptq/README.md ("Dequantization"):
/// `W[o, i] = scales[g, o] · (q[i, o] − zero[g, o])` with `g = g_idx[i]`.
///
/// The tensors stay memory-mapped; words are read unaligned because safetensors does not align its data.
struct GPTQModule: @unchecked Sendable {
    /// The layer's name without a suffix, e.g. `transformer.h.0.mlp.dense_4h_to_h`.
    let prefix: String
    let inputs: Int
    let outputs: Int
    let groups: Int
    let bits: Int
    /// The group of every input column (`g_idx`), each checked to lie in `0..<groups`.
    let groupOfColumn: [Int32]
    /// The mapped bytes of `qweight`, `qzeros` and `scales`, released once the layer has been rewritten.
    private let mappedTensors: [UnsafeRawBufferPointer]
    private let qweight: UnsafeRawPointer
    private let qzeros: UnsafeRawPointer
    private let scaleBits: UnsafeRawPointer
    private let zeroAdjustment: Int
    private let mask: UInt32
    private var valuesPerWord: Int { 32 / bits }

    /// `expected` is `(outputs, inputs)` from the model's config; `file(name)` names the file holding a tensor.
    init(prefix: String, settings: GPTQSettings, expected: (outputs: Int, inputs: Int), tensors: TensorSource,
         file: (String) -> String) throws {
        self.prefix = prefix
        bits = settings.bits
        mask = UInt32((1 << settings.bits) - 1)
        zeroAdjustment = settings.storesZeroMinusOne ? 1 : 0
        let pack = 32 / settings.bits
        func tensor(_ suffix: String, _ type: TensorType) throws -> TensorView {
            let name = "\(prefix).\(suffix)"
            guard let view = tensors.tensor(named: name) else {
                throw ModelFileError(file("\(prefix).qweight"), "tensor \(name) is missing (every GPTQ layer needs qweight, qzeros, scales and g_idx)")
            }
            guard view.info.type == type else {
                throw ModelFileError(file(name), "tensor \(name) is \(view.info.type), GPTQ stores it as \(type)")
            }
            guard view.info.shape.count == (suffix == "g_idx" ? 1 : 2) else {
                throw ModelFileError(file(name), "tensor \(name) has shape \(view.info.shape)")
            }
            return view
        }
        let qweight = try tensor("qweight", .i32)
        let qzeros = try tensor("qzeros", .i32)
        let scales = try tensor("scales", .f16)
        let gIndex = try tensor("g_idx", .i32)
        let (outputs, inputs) = expected
        self.inputs = inputs
        self.outputs = outputs
        guard qweight.info.shape == [inputs / pack, outputs], inputs % pack == 0 else {
            throw ModelFileError(file(qweight.info.name), "tensor \(qweight.info.name) has shape \(qweight.info.shape); the config's \(outputs)×\(inputs) layer at \(bits) bits needs [\(inputs / pack), \(outputs)]")
        }
        groups = settings.groupSize.map { (inputs + $0 - 1) / $0 } ?? 1
        guard outputs % pack == 0, qzeros.info.shape == [groups, outputs / pack] else {
            throw ModelFileError(file(qzeros.info.name), "tensor \(qzeros.info.name) has shape \(qzeros.info.shape), expected [\(groups), \(outputs / pack)]")
        }
        guard scales.info.shape == [groups, outputs] else {
            throw ModelFileError(file(scales.info.name), "tensor \(scales.info.name) has shape \(scales.info.shape), expected [\(groups), \(outputs)]")
        }
        guard gIndex.info.shape == [inputs] else {
            throw ModelFileError(file(gIndex.info.name), "tensor \(gIndex.info.name) has shape \(gIndex.info.shape), expected [\(inputs)]")
        }
        var groupOfColumn = [Int32](repeating: 0, count: inputs)
        for i in 0..<inputs {
            let g = gIndex.bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)
            guard g >= 0, Int(g) < groups else {
                throw ModelFileError(file(gIndex.info.name), "tensor \(gIndex.info.name): g_idx[\(i)] = \(g) is outside 0..<\(groups)")
            }
            groupOfColumn[i] = g
        }
        self.groupOfColumn = groupOfColumn
        mappedTensors = [qweight.bytes, qzeros.bytes, scales.bytes]
        self.qweight = qweight.bytes.baseAddress!
        self.qzeros = qzeros.bytes.baseAddress!
        scaleBits = scales.bytes.baseAddress!
    }

    /// The quantized integer of input column `i`, output `o`.
    @inline(__always)
    func q(_ i: Int, _ o: Int) -> Int {
        let word = qweight.loadUnaligned(fromByteOffset: 4 * ((i / valuesPerWord) * outputs + o), as: UInt32.self)
        return Int((word >> UInt32(bits * (i % valuesPerWord))) & mask)
    }

    /// The integers of outputs `range`, row-major `[output − range.lowerBound][input column]`, read a packed
    /// word at a time along `qweight`'s rows.
    func unpack(outputs range: Range<Int>, into integers: UnsafeMutablePointer<UInt8>) {
        let pack = valuesPerWord, shift = UInt32(bits)
        for wordRow in 0..<(inputs / pack) {
            let rowStart = 4 * wordRow * outputs
            for (r, o) in range.enumerated() {
                var word = qweight.loadUnaligned(fromByteOffset: rowStart + 4 * o, as: UInt32.self)
                let destination = integers + r * inputs + wordRow * pack
                for k in 0..<pack {
                    destination[k] = UInt8(word & mask)
                    word >>= shift
                }
            }
        }
    }

    /// The decoded zero point of group `g`, output `o` (v1's stored zero − 1 already undone, field by field).
    @inline(__always)
    func zero(_ g: Int, _ o: Int) -> Int {
        let word = qzeros.loadUnaligned(fromByteOffset: 4 * (g * (outputs / valuesPerWord) + o / valuesPerWord), as: UInt32.self)
        return Int((word >> UInt32(bits * (o % valuesPerWord))) & mask) + zeroAdjustment
    }

    /// The fp16 bits of group `g`'s scale for output `o`.
    @inline(__always)
    func scaleHalf(_ g: Int, _ o: Int) -> UInt16 {
        scaleBits.loadUnaligned(fromByteOffset: 2 * (g * outputs + o), as: UInt16.self)
    }

    /// Row `o` of the dequantized `[outputs, inputs]` weight, in the file's column order: the scalar reference
    /// every faster layout is checked against. Each value is an fp16 scale times a small integer, exact in f32.
    func dequantizeRow(_ o: Int, into output: UnsafeMutablePointer<Float>) {
        for i in 0..<inputs {
            let g = Int(groupOfColumn[i])
            output[i] = HalfPrecision.float(fromHalf: scaleHalf(g, o)) * Float(q(i, o) - zero(g, o))
        }
    }

    /// Drops the mapped pages of the packed tensors from this process's resident set once the layer has been
    /// rewritten, so a GPTQ model costs its rewritten weights, not those plus the file's. The mapping stays
    /// valid (private and read-only: a later read faults the file's pages back in).
    func releaseMappedPages() {
        #if canImport(Glibc)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        for bytes in mappedTensors where bytes.count > 0 {
            let start = (Int(bitPattern: bytes.baseAddress!) + page - 1) / page * page
            let end = (Int(bitPattern: bytes.baseAddress!) + bytes.count) / page * page
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
        }
        #endif
    }

    /// Every zero point equals `value` (the symmetric case).
    func allZeros(equal value: Int) -> Bool {
        for g in 0..<groups { for o in 0..<outputs where zero(g, o) != value { return false } }
        return true
    }
}
