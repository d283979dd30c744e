import ArgumentParser
import Foundation
import Pipelines

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files without running them.",
        discussion: "Prints one `error: FILE:LINE:COLUMN: message` line per problem on stderr and exits 1 if any file has one."
    )

    @Argument(help: "Pipeline YAML files.")
    var pipelines: [String]

    func validate() throws {
        if pipelines.isEmpty { throw ValidationError("give at least one PIPELINE.yaml") }
    }

    func run() throws {
        var failed = false
        for path in pipelines {
            do {
                let spec = try PipelineLoader.load(path: path)
                Console.error("\(path): ok (\(spec.steps.count) step\(spec.steps.count == 1 ? "" : "s"): \(spec.steps.map(\.id).joined(separator: ", ")))")
            } catch let error as PipelineError {
                failed = true
                for problem in error.problems { Console.error("error: \(problem)") }
            } catch {
                failed = true
                Console.error("error: \(Console.describe(error))")
            }
        }
        if failed { throw ExitCode(1) }
    }
}
