import Foundation

/// Where the test oracles live: `../shared` beside the checkout, and each test target's own `Fixtures`.
///
/// Large files (models, corpora) stay in `../shared`; tests that need them call `SharedFiles.url(_:)`, which
/// returns nil on a plain clone so the test can skip with a clear message instead of failing or passing silently.
public enum SharedFiles {
    /// The repository root, found from this file's compile-time path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()

    /// `../shared`, or `$CLAIRE_SHARED` when set.
    public static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["CLAIRE_SHARED"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("README.md").path)
    }

    /// The file at `relativePath` inside shared/, or nil when shared/ (or that file) is absent.
    public static func url(_ relativePath: String) -> URL? {
        let url = root.appendingPathComponent(relativePath)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The path of a file in the repository itself (e.g. `Samples/...`).
    public static func repository(_ relativePath: String) -> URL {
        repositoryRoot.appendingPathComponent(relativePath)
    }
}
