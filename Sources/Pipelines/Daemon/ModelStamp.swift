import Foundation

/// The model's files as they are on disk (path, size, modification time of each), taken when the model is
/// loaded and again at the start of every cycle: a model replaced since is loaded again before any file is
/// processed, and a missing one stops the cycle with an error naming it instead of failing every input.
public struct ModelStamp: Equatable, Sendable {
    public var files: [FileStamp]

    /// Throws an error naming the path when the model (or a file of a model folder) is missing.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw OutputError("\(path): the model file is missing; put it back (or fix model.path) and the next cycle uses it")
        }
        guard isDirectory.boolValue else {
            files = [try FileStamp(path: path)]
            return
        }
        files = try (FileManager.default.subpaths(atPath: path) ?? []).sorted().compactMap { name in
            let full = (path as NSString).appendingPathComponent(name)
            var sub: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue else { return nil }
            return try FileStamp(path: full)
        }
    }
}
