import Foundation

/// Scratch directories for tests, under the system's temporary directory, that the test removes itself.
///
/// A helper whose files live only while it runs takes the scoped form:
///
///     try withTemporaryDirectory(prefix: "claire-gguf") { directory in ... }
///
/// A test that uses its directory all through its body makes it and removes it in a `defer` straight after:
///
///     let directory = try TemporaryFiles.makeDirectory(prefix: "claire-gguf")
///     defer { TemporaryFiles.remove(directory) }
///
/// Either way the directory goes when the scope ends: test passed, expectation failed, or an error was thrown.
public enum TemporaryFiles {
    /// A new empty directory `<temporary directory>/<prefix>-<UUID>`.
    public static func makeDirectory(prefix: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Removes `url` and everything under it; a missing file is not an error (cleanup must never fail a test).
    public static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs `body` with a new empty directory (see `TemporaryFiles.makeDirectory`) and removes the directory when
/// `body` returns or throws.
public func withTemporaryDirectory<Result>(prefix: String, _ body: (URL) throws -> Result) throws -> Result {
    let directory = try TemporaryFiles.makeDirectory(prefix: prefix)
    defer { TemporaryFiles.remove(directory) }
    return try body(directory)
}
