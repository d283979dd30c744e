import Foundation
import Pipelines
import Testing
import TestSupport

/// `run` and `daemon` list their inputs through `InputEnumerator`: a companion file (an ORFEO TEI header) is
/// read with its transcript, not listed as an input that then fails.
struct InputCompanionTests {
    @Test func orfeoHeaderIsNotAnInputOfItsOwn() throws {
        let directory = try TemporaryFiles.makeDirectory(prefix: "claire-inputs")
        defer { TemporaryFiles.remove(directory) }
        let fixtures = SharedFiles.repository("Tests/TranscriptsTests/Fixtures/orfeo")
        for name in ["Cha_hey_07.orfeo", "Cha_hey_07.xml"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let files = try InputEnumerator.files(in: [directory.path])
        #expect(files.map(\.relative) == ["Cha_hey_07.orfeo"])
    }
}
