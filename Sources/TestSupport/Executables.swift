import Foundation

/// The `claire-pipeline` binary built beside the test bundle, for tests that run the real command.
public enum Executables {
    public static var clairePipeline: URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `<build>/<config>/<package>PackageTests.xctest`; on macOS it is inside a bundle.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("claire-pipeline")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    public struct Result {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs the command with `arguments`, feeding `stdin`, and waits for it.
    public static func run(_ executable: URL, _ arguments: [String], stdin: Data = Data(),
                           currentDirectory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Drain both pipes while writing stdin, so a large output cannot deadlock the child.
        let out = Drained(), err = Drained()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { out.data = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { err.data = errors.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: out.data, stderr: String(decoding: err.data, as: UTF8.self))
    }
}

/// What one reader thread drained from a pipe; read only after the DispatchGroup wait, which orders the accesses.
private final class Drained: @unchecked Sendable {
    var data = Data()
}
