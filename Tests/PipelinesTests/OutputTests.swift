import Foundation
import Testing
import TestSupport
@testable import Pipelines

/// A new directory named after the calling test; the test removes it (`defer { TemporaryFiles.remove(directory) }`).
func temporaryDirectory(_ name: String = #function) throws -> URL {
    try TemporaryFiles.makeDirectory(prefix: "pipelines-tests-\(name.filter { $0.isLetter })")
}

@Suite struct OutputTests {
    // FIPS 180-4 / NIST CAVP vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func sha256MatchesStandardVectors(text: String, digest: String) {
        #expect(ContentHash.hex(Array(text.utf8)) == digest)
    }

    /// The file is hashed in `chunkSize` reads: a file of several chunks and a ragged tail crosses every boundary.
    @Test func sha256OfFileSpanningSeveralReads() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let url = directory.appendingPathComponent("as")
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: url)
        #expect(try ContentHash.hex(ofFile: url.path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let large = directory.appendingPathComponent("large")
        let bytes = (0..<(2 * ContentHash.chunkSize + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        try Data(bytes).write(to: large)
        #expect(try ContentHash.hex(ofFile: large.path) == ContentHash.hex(bytes))
    }

    @Test func modelFilesAreHashedOncePerStampAndAgainWhenChanged() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let url = directory.appendingPathComponent("model.gguf")
        try Data("first".utf8).write(to: url)
        let cache = FileHashCache()
        let first = try ContentHash.hex(ofTree: url.path, cache: cache)
        #expect(try ContentHash.hex(ofTree: url.path, cache: cache) == first)
        #expect(cache.filesRead == 1)
        try Data("second, longer".utf8).write(to: url)
        #expect(try ContentHash.hex(ofTree: url.path, cache: cache) == ContentHash.hex(Array("second, longer".utf8)))
        #expect(cache.filesRead == 2)
    }

    @Test func missingFileNamesItWhenHashing() {
        #expect { try ContentHash.hex(ofFile: "/nonexistent/model.gguf") } throws: { "\($0)".contains("/nonexistent/model.gguf") }
    }

    @Test func sha256OfFileEqualsSha256OfBytes() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let url = directory.appendingPathComponent("blob")
        try Data(bytes).write(to: url)
        #expect(try ContentHash.hex(ofFile: url.path) == ContentHash.hex(bytes))
    }

    @Test func atomicWriteReplacesWholeAndLeavesNoTemporaries() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let url = directory.appendingPathComponent("sub/out.jsonl")
        try AtomicFile.write(Data("first\n".utf8), to: url)
        try AtomicFile.write(Data("second\n".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path) == ["out.jsonl"])
    }

    @Test func atomicWriteIntoUnwritablePlaceNamesTheFile() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let blocker = directory.appendingPathComponent("file")
        try Data().write(to: blocker)
        #expect { try AtomicFile.write(Data("x".utf8), to: blocker.appendingPathComponent("out.jsonl")) } throws: { error in
            "\(error)".contains(blocker.path)
        }
    }

    @Test func strayTemporariesAreRemoved() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        try Data("partial".utf8).write(to: directory.appendingPathComponent(".tmp-1-x-out.jsonl"))
        try Data("kept".utf8).write(to: directory.appendingPathComponent("out.jsonl"))
        AtomicFile.removeStrayTemporaries(in: directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.jsonl"])
    }

    @Test func seedsAreStableAndDependOnEveryPart() {
        let seed = SeedDerivation.seed(base: 42, source: "a.vtt", window: 0, step: "s")
        // The first 8 bytes of SHA-256("claire-pipeline seed v1\0" "42\0a.vtt\00\0s"), computed with Python's hashlib:
        // outputs written before must reproduce whatever computes the hash.
        #expect(seed == 5_551_925_969_976_062_776)
        let others = [
            SeedDerivation.seed(base: 43, source: "a.vtt", window: 0, step: "s"),
            SeedDerivation.seed(base: 42, source: "b.vtt", window: 0, step: "s"),
            SeedDerivation.seed(base: 42, source: "a.vtt", window: 1, step: "s"),
            SeedDerivation.seed(base: 42, source: "a.vtt", window: 0, step: "t"),
        ]
        #expect(Set(others + [seed]).count == 5)
    }
}
