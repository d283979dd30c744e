import Foundation
import Transcripts

/// Where outputs go: `<output>/<step id>/<source path relative to its input root>.jsonl` (and `.md` beside it),
/// one file per (source, step), written atomically once every window of it is done — so a crash never leaves
/// a partial record and (source, window, step) is unique by construction. `<output>/manifest.json` describes
/// the last run.
public struct OutputLayout: Sendable {
    public let directory: URL

    public init(directory: String) { self.directory = URL(fileURLWithPath: directory) }

    public func jsonl(step: String, relativeSource: String) -> URL {
        directory.appendingPathComponent(step).appendingPathComponent(relativeSource + ".jsonl")
    }

    public func markdown(step: String, relativeSource: String) -> URL {
        directory.appendingPathComponent(step).appendingPathComponent(relativeSource + ".md")
    }

    public var manifest: URL { directory.appendingPathComponent("manifest.json") }
}

/// An input file and its path relative to the input root it was found under (its identity in outputs).
public struct InputFile: Sendable, Hashable {
    public var path: String
    public var relative: String
}

/// Lists input files: a file stands for itself; a directory contributes its regular files, recursively,
/// sorted, skipping hidden files and documentation (`*.md`).
public enum InputEnumerator {
    public static func files(in paths: [String], include: [String] = []) throws -> [InputFile] {
        var result: [InputFile] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw OutputError("\(path): input path does not exist")
            }
            if !isDirectory.boolValue {
                result.append(InputFile(path: path, relative: URL(fileURLWithPath: path).lastPathComponent))
                continue
            }
            let names = (FileManager.default.subpaths(atPath: path) ?? []).sorted()
            for name in names {
                let components = name.split(separator: "/")
                guard !components.contains(where: { $0.hasPrefix(".") }), !name.hasSuffix(".md") else { continue }
                let full = (path as NSString).appendingPathComponent(name)
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue else { continue }
                if !include.isEmpty, !include.contains(where: { fnmatch($0, (name as NSString).lastPathComponent, 0) == 0 }) { continue }
                result.append(InputFile(path: full, relative: name))
            }
        }
        // Companion files (an ORFEO TEI header, a Whisper JSON's RTTM) are read with their transcript.
        let companions = TranscriptInputs.companionPaths(among: result.map(\.path))
        return result.filter { !companions.contains($0.path) }
    }
}
