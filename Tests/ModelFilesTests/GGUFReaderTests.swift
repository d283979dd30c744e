import Foundation
import Testing
import TestSupport
import Tokenization
@testable import ModelFiles

/// The GGUF reader against llama.cpp's own files and the facts recorded in reference/gguf/README.md and
/// llama-cpp-reference.json.
@Suite(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
struct GGUFReferenceTests {
    static let reference: [String: Any] = {
        guard let url = SharedFiles.url("reference/gguf/llama-cpp-reference.json"),
              let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()

    /// The name → GGML type table of one file, from the JSON (the random model's tables are stored as
    /// Python dict text).
    static func expectedTypes(_ record: [String: Any]) throws -> [String: String] {
        if let table = record["tensor_types"] as? [String: String] { return table }
        let text = try #require(record["tensor_types"] as? String)
        let json = text.replacingOccurrences(of: "'", with: "\"")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
    }

    /// Every tensor's type matches llama.cpp's table, and the tensors tile the data section exactly
    /// (llama.cpp writes them back to back, padded), which checks each type's bytes per block.
    func checkAgainstReference(_ gguf: GGUFFile, _ record: [String: Any]) throws {
        let types = try Self.expectedTypes(record)
        #expect(gguf.tensorInfos.count == types.count)
        for info in gguf.tensorInfos {
            #expect(types[info.name] == info.type.description, "\(info.name)")
        }
        #expect(record["size_bytes"] as? Int == gguf.file.size)
        var end = gguf.dataOffset
        for info in gguf.tensorInfos {
            let view = try gguf.requireTensor(named: info.name)
            let start = try #require(view.bytes.baseAddress) - (try #require(gguf.file.bytes.baseAddress))
            #expect(start == end, "\(info.name) starts right after the previous tensor's padding")
            #expect(view.bytes.count == info.rowCount * info.rowLength / info.type.blockSize * info.type.bytesPerBlock)
            end = start + view.bytes.count
            end += (gguf.alignment - end % gguf.alignment) % gguf.alignment
        }
        #expect(end == gguf.file.size)
    }

    @Test(arguments: ["Q8_0", "Q4_0", "Q4_K_M", "Q5_K_M", "Q2_K"])
    func claireTinyGGUF(preset: String) throws {
        let name = "claire-tiny-fr.\(preset).gguf"
        let gguf = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/\(name)")).path)
        let files = try #require(Self.reference["files"] as? [String: Any])
        try checkAgainstReference(gguf, try #require(files[name] as? [String: Any]))
        #expect(gguf.version == 3 && gguf.alignment == 32)
        let config = try FalconConfig(gguf: gguf)
        #expect(config == FalconConfig(hiddenSize: 256, headCount: 4, kvHeadCount: 1, layerCount: 6, vocabularySize: 65024,
                                       feedForwardSize: 1024, layerNormEpsilon: config.layerNormEpsilon, ropeTheta: 10_000,
                                       contextLength: 2048, bosTokenID: 11, eosTokenID: 11, tiedEmbeddings: true))
        #expect(abs(config.layerNormEpsilon - 1e-5) < 1e-9)
        #expect(gguf.metadata["tokenizer.ggml.tokens"]?.stringArray?.count == 65024)
        #expect(gguf.metadata["tokenizer.ggml.merges"]?.stringArray?.count == 64784)
        #expect(gguf.metadata["falcon.tensor_data_layout"]?.string == "jploski")
        #expect(gguf.tensor(named: "output.weight") == nil, "tied: llama.cpp uses token_embd")
        #expect(gguf.tensor(named: "token_embd.weight")?.info.shape == [65024, 256])
    }

    @Test(arguments: ["F32", "F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"])
    func randomModelGGUF(type: String) throws {
        let name = "falcon7b-mqa-parallel.\(type).gguf"
        let gguf = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/random/\(name)")).path)
        let random = try #require(Self.reference["random_falcon7b_mqa_parallel"] as? [String: Any])
        let files = try #require(random["files"] as? [String: Any])
        try checkAgainstReference(gguf, try #require(files[name] as? [String: Any]))
        let config = try FalconConfig(gguf: gguf)
        #expect(config.hiddenSize == 64 && config.headCount == 4 && config.kvHeadCount == 1 && config.layerCount == 2)
        #expect(config.vocabularySize == 1024 && config.feedForwardSize == 256 && config.contextLength == 256)
        #expect(config.tiedEmbeddings == true && !config.newDecoderArchitecture)
        #expect(gguf.metadata["tokenizer.ggml.model"]?.string == "no_vocab")
    }

    /// The F32 GGUF holds the Hugging Face model's float32 weights bit for bit under llama.cpp's names
    /// (with one KV head the "jploski" QKV permutation is the identity), so shapes and offsets line up.
    @Test func f32GGUFHoldsTheSafetensorsBytes() throws {
        let gguf = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.F32.gguf")).path)
        let hf = try SafetensorsCheckpoint(path: try #require(SharedFiles.url("reference/models/random/falcon7b-mqa-parallel")).path)
        let pairs = [
            ("token_embd.weight", "transformer.word_embeddings.weight"),
            ("blk.1.attn_qkv.weight", "transformer.h.1.self_attention.query_key_value.weight"),
            ("blk.0.ffn_down.weight", "transformer.h.0.mlp.dense_4h_to_h.weight"),
            ("blk.0.attn_norm.bias", "transformer.h.0.input_layernorm.bias"),
            ("output_norm.weight", "transformer.ln_f.weight"),
        ]
        for (ggufName, hfName) in pairs {
            let a = try gguf.requireTensor(named: ggufName), b = try hf.requireTensor(named: hfName)
            #expect(a.info.shape == b.info.shape, "\(ggufName)")
            #expect(a.bytes.elementsEqual(b.bytes), "\(ggufName)")
        }
    }

    /// A real file cut short anywhere — in the header, the metadata, the tensor infos or the data — is an
    /// error naming the file, never a crash.
    @Test func truncatedRealFile() throws {
        let source = try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.Q4_1.gguf"))
        let bytes = try Data(contentsOf: source)
        let complete = try GGUFFile(path: source.path)
        let directory = try TemporaryFiles.makeDirectory(prefix: "claire-truncated")
        defer { TemporaryFiles.remove(directory) }
        var cuts = Array(stride(from: 0, to: complete.dataOffset + 64, by: 7))
        cuts += stride(from: complete.dataOffset, to: bytes.count, by: max(1, (bytes.count - complete.dataOffset) / 40)).map { $0 }
        cuts.append(bytes.count - 1)
        for cut in cuts {
            let url = directory.appendingPathComponent("cut.gguf")
            try bytes.prefix(cut).write(to: url)
            do {
                _ = try GGUFFile(path: url.path)
                Issue.record("a file cut to \(cut) of \(bytes.count) bytes was accepted")
            } catch let error as ModelFileError {
                #expect(error.path == url.path && !error.description.contains("\n"))
            }
        }
    }

    /// llama.cpp's tokenizer-only vocabulary file: 65,024 tokens, 64,784 merges, 12 control tokens.
    @Test func falconVocabularyGGUF() throws {
        let url = try #require(SharedFiles.url("reference/tokenizer/falcon/upstream/llama.cpp/ggml-vocab-falcon.gguf"))
        let gguf = try GGUFFile(path: url.path)
        #expect(gguf.tensorInfos.isEmpty && gguf.metadataKeys.count == 18)
        let tokens = try #require(gguf.metadata["tokenizer.ggml.tokens"]?.stringArray)
        let merges = try #require(gguf.metadata["tokenizer.ggml.merges"]?.stringArray)
        let types = try #require(gguf.metadata["tokenizer.ggml.token_type"]?.intArray)
        #expect(tokens.count == 65024 && merges.count == 64784 && types.count == 65024)
        #expect(tokens[0] == ">>TITLE<<" && tokens[11] == "<|endoftext|>")
        #expect(merges.first == "Ġ t")
        #expect(Array(types[0..<12]) == Array(repeating: 3, count: 12), "the special tokens are CONTROL")
        #expect(types[12...].allSatisfy { $0 == 1 })
        #expect(gguf.metadata["tokenizer.ggml.token_type"]?.stringArray == nil, "an i32 array is not strings")
        #expect(gguf.metadata["tokenizer.ggml.eos_token_id"]?.int == 11)
        #expect(gguf.metadata["falcon.attention.layer_norm_epsilon"]?.float == 1e-5)
        let config = try FalconConfig(gguf: gguf)
        #expect(config.hiddenSize == 4544 && config.headCount == 71 && config.kvHeadCount == 1 && config.layerCount == 32)
        #expect(config.feedForwardSize == 18176 && config.vocabularySize == 65024 && config.headDimension == 64)
        let tokenizer = try FalconTokenizer(gguf: gguf)
        #expect(tokenizer.encode("Bonjour") == [44984])

        // Parsing the 130k strings must stay cheap: best of five, in release builds (the suite's mode). This
        // thread's CPU time, not wall time, so that other tests and builds sharing the cores do not count.
        func threadMilliseconds() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
        }
        var best = Double.infinity
        for _ in 0..<5 {
            let start = threadMilliseconds()
            _ = try GGUFFile(path: url.path)
            best = min(best, threadMilliseconds() - start)
        }
        print("ggml-vocab-falcon.gguf parsed in \(best) ms of thread CPU time (best of 5)")
        #if !DEBUG
        #expect(best < 100, "parsing took \(best) ms")
        #endif
    }
}

/// GGUFWriter output read back by GGUFFile, and the writer's own refusals.
struct GGUFWriterTests {
    static let temporaryPrefix = "claire-gguf"

    static let everyValue: [(String, GGUFValue)] = [
        ("t.u8", .uint8(200)), ("t.i8", .int8(-100)), ("t.u16", .uint16(60_000)), ("t.i16", .int16(-30_000)),
        ("t.u32", .uint32(4_000_000_000)), ("t.i32", .int32(-2_000_000_000)), ("t.f32", .float32(1e-5)),
        ("t.bool", .bool(true)), ("t.string", .string("héllo Ġworld")), ("t.u64", .uint64(UInt64.max)),
        ("t.i64", .int64(Int64.min)), ("t.f64", .float64(-2.5e300)),
        ("t.strings", .strings(["a", "", "ÿ b", String(repeating: "x", count: 300)])),
        ("t.i32s", .int32s([1, -2, 3])), ("t.f32s", .float32s([0.5, -1])),
        ("t.bools", .array(.init(elementType: .bool, elements: [.bool(false), .bool(true)]))),
        ("t.empty", .array(.init(elementType: .uint64, elements: []))),
        ("t.nested", .array(.init(elementType: .array, elements: [.int32s([7]), .strings(["z"])]))),
    ]

    @Test(arguments: [32, 64, 8])
    func roundTrip(alignment: Int) throws {
        var writer = try GGUFWriter(alignment: alignment)
        for (key, value) in Self.everyValue { writer.set(key, value) }
        writer.set("general.architecture", .string("falcon"))
        writer.set("t.u8", .uint8(201))  // replaced in place
        let f32 = Data((0..<24).map { UInt8($0) })
        let q4 = Data((0..<(2 * 18 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let q6 = Data(repeating: 0xAB, count: 210)
        try writer.addTensor(name: "matrix", type: .f32, shape: [2, 3], data: f32)
        try writer.addTensor(name: "quantized", type: .q4_0, shape: [3, 64], data: q4)
        try writer.addTensor(name: "k", type: .q6_K, shape: [1, 1, 1, 256], data: q6)
        let directory = try TemporaryFiles.makeDirectory(prefix: Self.temporaryPrefix)
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("out.gguf").path
        try writer.write(to: path)

        let gguf = try GGUFFile(path: path)
        #expect(gguf.version == 3 && gguf.alignment == alignment)
        var expected = Dictionary(uniqueKeysWithValues: Self.everyValue)
        expected["t.u8"] = .uint8(201)
        expected["general.architecture"] = .string("falcon")
        if alignment != 32 { expected["general.alignment"] = .uint32(UInt32(alignment)) }
        #expect(gguf.metadata == expected)
        #expect(gguf.metadataKeys.first == (alignment == 32 ? "t.u8" : "general.alignment"))
        #expect(gguf.tensorInfos == [TensorInfo(name: "matrix", type: .f32, shape: [2, 3]),
                                     TensorInfo(name: "quantized", type: .q4_0, shape: [3, 64]),
                                     TensorInfo(name: "k", type: .q6_K, shape: [1, 1, 1, 256])])
        #expect(Data(try gguf.requireTensor(named: "matrix").bytes) == f32)
        #expect(Data(try gguf.requireTensor(named: "quantized").bytes) == q4)
        #expect(Data(try gguf.requireTensor(named: "k").bytes) == q6)
        #expect(gguf.file.size % alignment == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["out.gguf"], "no temporary file left behind")
    }

    /// GGUF v2 has v3's structure; the reader takes both.
    @Test func readsVersion2() throws {
        var writer = try GGUFWriter()
        writer.set("general.architecture", .string("falcon"))
        try writer.addTensor(name: "w", type: .f16, shape: [2, 2], data: Data(count: 8))
        let directory = try TemporaryFiles.makeDirectory(prefix: Self.temporaryPrefix)
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("out.gguf").path
        try writer.write(to: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[4] = 2
        try bytes.write(to: URL(fileURLWithPath: path))
        let gguf = try GGUFFile(path: path)
        #expect(gguf.version == 2 && gguf.tensorInfos == [TensorInfo(name: "w", type: .f16, shape: [2, 2])])
    }

    /// Copying a real file's metadata and tensors gives a file that reads back identically.
    @Test(.enabled(if: SharedFiles.isAvailable, "needs ../shared/reference"))
    func rewritesALlamaCppFile() throws {
        let source = try GGUFFile(path: try #require(SharedFiles.url("reference/gguf/random/falcon7b-mqa-parallel.Q4_1.gguf")).path)
        var writer = try GGUFWriter()
        writer.copyMetadata(from: source)
        for info in source.tensorInfos {
            try writer.addTensor(info) { Data(try source.requireTensor(named: info.name).bytes) }
        }
        let directory = try TemporaryFiles.makeDirectory(prefix: Self.temporaryPrefix)
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("out.gguf").path
        try writer.write(to: path)
        let copy = try GGUFFile(path: path)
        #expect(copy.metadata == source.metadata && copy.metadataKeys == source.metadataKeys)
        #expect(copy.tensorInfos == source.tensorInfos)
        #expect(copy.file.bytes.elementsEqual(source.file.bytes), "llama.cpp's layout is the same: byte-identical")
    }

    @Test func refusals() throws {
        #expect(throws: GGUFWriter.WriteError.self) { try GGUFWriter(alignment: 48) }
        #expect(throws: GGUFWriter.WriteError.self) { try GGUFWriter(alignment: 0) }
        var writer = try GGUFWriter()
        try writer.addTensor(name: "a", type: .f32, shape: [4], data: Data(count: 16))
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor(name: "a", type: .f32, shape: [4], data: Data(count: 16)) }
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor(name: "q", type: .q8_0, shape: [2, 33], data: Data()) }
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor(name: "z", type: .f32, shape: [1, 0], data: Data()) }
        #expect(throws: GGUFWriter.WriteError.self) { try writer.addTensor(name: "five", type: .f32, shape: [1, 1, 1, 1, 1], data: Data(count: 4)) }

        // A wrong byte count is found while writing; the destination is left untouched.
        try writer.addTensor(name: "short", type: .f32, shape: [4], data: Data(count: 12))
        let directory = try TemporaryFiles.makeDirectory(prefix: Self.temporaryPrefix)
        defer { TemporaryFiles.remove(directory) }
        let path = directory.appendingPathComponent("out.gguf").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: GGUFWriter.WriteError.self) { try writer.write(to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["out.gguf"])

        var mixed = try GGUFWriter()
        mixed.set("bad", .array(.init(elementType: .string, elements: [.int32(1)])))
        let mixedDirectory = try TemporaryFiles.makeDirectory(prefix: Self.temporaryPrefix)
        defer { TemporaryFiles.remove(mixedDirectory) }
        #expect(throws: GGUFWriter.WriteError.self) { try mixed.write(to: mixedDirectory.appendingPathComponent("out.gguf").path) }
    }
}
