import Foundation
import Testing
import TestSupport
@testable import ModelFiles

/// Seeded random damage to valid files: every outcome is either a clean read whose tensors all lie inside
/// the file, or a one-line ModelFileError naming the file. A crash fails the whole run.
struct MutationFuzzTests {
    /// SplitMix64: small, seeded, the same on every platform.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let extremes: [UInt64] = [0, 1, 3, 31, 64, 1 << 31, 1 << 32, 1 << 40, 1 << 62, 1 << 63, UInt64.max, UInt64.max - 7]

    /// Damages `bytes` in one of a few ways that hit lengths, counts and offsets.
    static func mutate(_ bytes: Data, _ random: inout Random) -> Data {
        var data = bytes
        switch random.below(4) {
        case 0:  // flip a few bytes
            for _ in 0...random.below(4) { data[random.below(data.count)] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
        case 1:  // write an extreme u64 at a random place
            let value = extremes[random.below(extremes.count)]
            let at = random.below(max(1, data.count - 8))
            withUnsafeBytes(of: value.littleEndian) { data.replaceSubrange(at..<(at + 8), with: $0) }
        case 2:  // write an extreme u32
            let value = UInt32(truncatingIfNeeded: extremes[random.below(extremes.count)])
            let at = random.below(max(1, data.count - 4))
            withUnsafeBytes(of: value.littleEndian) { data.replaceSubrange(at..<(at + 4), with: $0) }
        default:  // cut
            data = data.prefix(random.below(data.count))
        }
        return data
    }

    static func validGGUF() throws -> Data {
        var writer = try GGUFWriter()
        writer.set("general.architecture", .string("falcon"))
        writer.set("u8", .uint8(1)); writer.set("i64", .int64(-1)); writer.set("f64", .float64(0.5)); writer.set("b", .bool(true))
        writer.set("tokens", .strings(["a", "bb", "ccc"]))
        writer.set("types", .int32s([1, 3, 1]))
        writer.set("nested", .array(.init(elementType: .array, elements: [.int32s([1]), .strings(["x"])])))
        try writer.addTensor(name: "w", type: .q8_0, shape: [2, 32], data: Data(repeating: 1, count: 68))
        try writer.addTensor(name: "n", type: .f32, shape: [3], data: Data(repeating: 2, count: 12))
        return try withTemporaryDirectory(prefix: "claire-fuzz") { directory in
            let path = directory.appendingPathComponent("valid.gguf").path
            try writer.write(to: path)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
    }

    func check<T: TensorSource>(_ bytes: Data, open: (String) throws -> T) throws -> Bool {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("claire-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try bytes.write(to: url)
        do {
            let source = try open(url.path)
            for info in source.tensorInfos {
                let view = try source.requireTensor(named: info.name)
                #expect(view.bytes.count <= bytes.count)
                _ = view.bytes.reduce(0 as UInt8) { $0 &+ $1 }  // touches every byte: out-of-range would fault
            }
            return true
        } catch let error as ModelFileError {
            #expect(error.path == url.path && !error.description.contains("\n"), "\(error)")
            return false
        }
    }

    @Test func damagedGGUFs() throws {
        let valid = try Self.validGGUF()
        var random = Random(state: 20_261_125)
        var rejected = 0
        for _ in 0..<600 {
            if try !check(Self.mutate(valid, &random), open: { try GGUFFile(path: $0) }) { rejected += 1 }
        }
        #expect(rejected > 200, "most damage is caught (\(rejected) of 600)")
    }

    @Test func damagedSafetensors() throws {
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#
        var valid = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { valid.append(contentsOf: $0) }
        valid.append(contentsOf: header.utf8)
        valid.append(Data(repeating: 7, count: 16))
        var random = Random(state: 42)
        var rejected = 0
        for _ in 0..<600 {
            var damaged = Self.mutate(valid, &random)
            if random.below(3) == 0, damaged.count > 20 {
                // Replace a header character with a digit or JSON punctuation, to reach the field checks.
                let characters = Array("0123456789-.,:[]{}\"e".utf8)
                damaged[8 + random.below(min(damaged.count - 8, header.utf8.count))] = characters[random.below(characters.count)]
            }
            if try !check(damaged, open: { try SafetensorsFile(path: $0) }) { rejected += 1 }
        }
        #expect(rejected > 200, "most damage is caught (\(rejected) of 600)")
    }
}
