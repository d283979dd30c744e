import Foundation

/// The PostgreSQL server `Tests/Services/postgres.sh` starts (Tests/run.sh sources it). Suites that need it
/// call `skipReason` and skip, saying so, when it is absent; each test gets a fresh database.
public enum TestPostgres {
    /// `postgres://postgres@127.0.0.1:PORT/claire_test`, when the server runs.
    public static var url: String? { ProcessInfo.processInfo.environment["CLAIRE_TEST_POSTGRES_URL"] }

    public static var skipReason: String {
        "CLAIRE_TEST_POSTGRES_URL is not set: PostgreSQL suite skipped (Tests/run.sh starts a server through Tests/Services/postgres.sh)"
    }

    private static var bin: String {
        ProcessInfo.processInfo.environment["CLAIRE_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
    }

    /// A new, empty database on the test server; its URL.
    public static func makeDatabase(_ prefix: String) throws -> String {
        guard let url, let components = URLComponents(string: url) else { throw TestPostgresError(skipReason) }
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))".lowercased()
        try command("createdb", ["-h", components.host ?? "127.0.0.1", "-p", "\(components.port ?? 5432)", "-U", components.user ?? "postgres", name])
        var made = components
        made.path = "/" + name
        return made.string!
    }

    /// Runs SQL through psql and returns its unaligned, tuples-only output (`|`-separated columns).
    public static func query(_ database: String, _ sql: String) throws -> String {
        try command("psql", [database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Restarts the server (`CLAIRE_TEST_POSTGRES_RESTART`), closing every connection.
    public static func restart() throws {
        guard let script = ProcessInfo.processInfo.environment["CLAIRE_TEST_POSTGRES_RESTART"] else { throw TestPostgresError("CLAIRE_TEST_POSTGRES_RESTART is not set") }
        // Spawned and reaped here rather than through Foundation's `Process`, whose `waitUntilExit` never saw
        // this script end in the test runner: the `runuser` it execs stayed a zombie and the test hung.
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(script), nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script, nil, nil, argv, environ)
        guard spawned == 0 else { throw TestPostgresError("\(script): cannot start (\(String(cString: strerror(spawned))))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestPostgresError("\(script): waitpid failed (\(String(cString: strerror(errno))))") }
        }
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { throw TestPostgresError("\(script) failed (wait status \(status))") }
    }

    @discardableResult
    static func command(_ name: String, _ arguments: [String]) throws -> String {
        let local = (bin as NSString).appendingPathComponent(name)
        return try run(FileManager.default.isExecutableFile(atPath: local) ? local : "/usr/bin/\(name)", arguments)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try Executables.run(URL(fileURLWithPath: executable), arguments)
        guard result.status == 0 else {
            throw TestPostgresError("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
