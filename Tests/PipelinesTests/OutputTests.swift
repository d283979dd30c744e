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
        #expect(SHA256.hex(Array(text.utf8)) == digest)
    }

    @Test func sha256MillionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hasher.finalize().map { String(format: "%02x", $0) }.joined() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256OfFileEqualsSha256OfBytes() throws {
        let directory = try temporaryDirectory()
        defer { TemporaryFiles.remove(directory) }
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let url = directory.appendingPathComponent("blob")
        try Data(bytes).write(to: url)
        #expect(try SHA256.hex(ofFile: url.path) == SHA256.hex(bytes))
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
        #expect(seed == SeedDerivation.seed(base: 42, source: "a.vtt", window: 0, step: "s"))
        let others = [
            SeedDerivation.seed(base: 43, source: "a.vtt", window: 0, step: "s"),
            SeedDerivation.seed(base: 42, source: "b.vtt", window: 0, step: "s"),
            SeedDerivation.seed(base: 42, source: "a.vtt", window: 1, step: "s"),
            SeedDerivation.seed(base: 42, source: "a.vtt", window: 0, step: "t"),
        ]
        #expect(Set(others + [seed]).count == 5)
    }
}
