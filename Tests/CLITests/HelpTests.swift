import Foundation
import Testing
import TestSupport

/// Help is how a newcomer finds the commands: `--help`, `help COMMAND` and `COMMAND --help` print usage and exit 0.
struct HelpTests {
    @Test(arguments: [["--help"], ["prepare", "--help"], ["help", "run"], ["bench", "-h"]])
    func helpPrintsUsage(arguments: [String]) throws {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        let result = try Executables.run(binary, arguments, stdin: Data())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("USAGE: claire-pipeline"), "\(result.stdoutText)")
        #expect(!result.stderr.contains("error"), "\(result.stderr)")
    }
}
