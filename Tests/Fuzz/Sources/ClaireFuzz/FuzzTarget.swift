import Foundation

/// One parser under test: a name for `CLAIRE_FUZZ_TARGET`, an optional one-time preparation (loading the
/// real tokenizer, say) and the body that feeds it one input.
struct FuzzTarget {
    let name: String
    var prepare: () throws -> Void = {}
    let body: (Data) throws -> Void

    /// Errors are the parsers' correct answer to bad input; anything else escapes as a crash.
    func run(_ input: Data) {
        _ = try? body(input)
    }

    static let all: [FuzzTarget] = modelFileTargets + tokenizerTargets + transcriptTargets + pipelineTargets
}

/// Where targets that read paths get their input: one private directory per process, so that parallel
/// fuzzing jobs (`-jobs=N`) do not share files.
enum Scratch {
    static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(base)/claire-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Writes `data` to `name` inside the scratch directory (replacing it) and returns the path.
    @discardableResult
    static func write(_ data: Data, as name: String) -> String {
        let path = "\(directory)/\(name)"
        _ = FileManager.default.createFile(atPath: path, contents: data)
        return path
    }

    /// A subdirectory, emptied, for targets whose input is a folder.
    static func folder(_ name: String) -> String {
        let path = "\(directory)/\(name)"
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
