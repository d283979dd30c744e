import ArgumentParser
import Foundation

@main
struct ClairePipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claire-pipeline",
        abstract: "Turn French transcripts into Claire-style dialogue and run them through an in-process Falcon engine.",
        subcommands: [
            TokenizeCommand.self,
            BenchTokenizerCommand.self,
            BenchCommand.self,
            BenchKernelsCommand.self,
            BenchTranscriptsCommand.self,
            BenchHashCommand.self,
            GenerateCommand.self,
            PerplexityCommand.self,
            InspectCommand.self,
            QuantizeCommand.self,
            ValidateCommand.self,
            RunCommand.self,
            PrepareCommand.self,
            DaemonCommand.self,
        ]
    )

    /// Parses like ArgumentParser does, but reports our own failures as one `error: …` line (DESIGN.md's
    /// command-line contract) instead of ArgumentParser's usage dump.
    static func main() async {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let exitCode as ExitCode {
            Foundation.exit(exitCode.rawValue)
        } catch let error as ValidationError {
            exit(withError: error)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // `--help` and `help SUBCOMMAND` reach us as ArgumentParser's own (internal) error: it prints the help.
            exit(withError: error)
        } catch {
            Console.error("error: \(Console.describe(error))")
            Foundation.exit(1)
        }
    }
}
