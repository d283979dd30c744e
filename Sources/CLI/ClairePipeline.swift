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
            BenchPipelineCommand.self,
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
            ServeCommand.self,
            StatusCommand.self,
        ]
    )

    /// Parses like ArgumentParser does, but reports our own failures as one `error: …` line and exit status 1
    /// (what scripts around the tool match on) instead of ArgumentParser's usage dump.
    static func main() async {
        ConsoleLogHandler.bootstrap()
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
        } catch where exitCode(for: error) != .failure {
            // ArgumentParser's own outcomes (help, `help SUBCOMMAND`, validation) carry their own exit codes
            // (0, 64); anything it does not know maps to plain failure, and that is ours to print.
            exit(withError: error)
        } catch {
            Console.error("error: \(Console.describe(error))")
            Foundation.exit(1)
        }
    }
}
