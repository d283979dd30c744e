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
    /// Why this entry of an input folder cannot be read (a dangling link, a link loop, a FIFO): it is reported
    /// as a failed input, never skipped silently.
    public var problem: String? = nil

    /// Throws the entry's problem, if it has one, as an error naming it.
    public func checkListedProblem() throws {
        if let problem { throw OutputError("\(path): \(problem)") }
    }
}

/// Lists input files: a file stands for itself; a directory contributes its regular files, recursively,
/// sorted, skipping hidden files and documentation (`*.md`). Symbolic links to folders are followed, except
/// into a folder that contains them (a loop); loops, dangling links and entries that are not regular files
/// (FIFOs, sockets, devices) are listed with their `problem`, so that `run` and the daemon report them.
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
            var walk = Walk(root: path, include: include)
            walk.visit(directory: path, relative: "", ancestors: [])
            result += walk.found
        }
        // Companion files (an ORFEO TEI header, a Whisper JSON's RTTM) are read with their transcript.
        let companions = TranscriptInputs.companionPaths(among: result.filter { $0.problem == nil }.map(\.path))
        return result.filter { !companions.contains($0.path) }
    }

    /// A device and inode: what identifies a folder however it is reached.
    private struct FolderIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private struct Walk {
        let root: String
        let include: [String]
        var found: [InputFile] = []

        init(root: String, include: [String]) {
            self.root = root
            self.include = include
        }

        mutating func visit(directory: String, relative: String, ancestors: Set<FolderIdentity>) {
            var info = stat()
            guard stat(directory, &info) == 0 else { return }
            var ancestors = ancestors
            ancestors.insert(FolderIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            } catch {
                found.append(InputFile(path: directory, relative: relative.isEmpty ? "." : relative,
                                       problem: "cannot list this folder (\(error.localizedDescription))"))
                return
            }
            for name in names where !name.hasPrefix(".") && !name.hasSuffix(".md") {
                let full = (directory as NSString).appendingPathComponent(name)
                let sub = relative.isEmpty ? name : relative + "/" + name
                var link = stat()
                guard lstat(full, &link) == 0 else { continue }  // removed since the listing
                let isLink = link.st_mode & S_IFMT == S_IFLNK
                var target = stat()
                if stat(full, &target) != 0 {
                    let reason = errno
                    guard isLink, matches(name) else { continue }
                    let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "?"
                    let problem = reason == ELOOP ? "symbolic link loop (\(name) → \(destination) leads back to itself); not followed"
                        : "dangling symbolic link: its target \(destination) does not exist (\(String(cString: strerror(reason))))"
                    found.append(InputFile(path: full, relative: sub, problem: problem))
                    continue
                }
                switch target.st_mode & S_IFMT {
                case S_IFDIR:
                    let identity = FolderIdentity(device: UInt64(target.st_dev), inode: UInt64(target.st_ino))
                    if ancestors.contains(identity) {
                        let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "?"
                        found.append(InputFile(path: full, relative: sub,
                                               problem: "symbolic link to a folder that contains it (\(destination)): a loop, not followed"))
                        continue
                    }
                    visit(directory: full, relative: sub, ancestors: ancestors)
                case S_IFREG:
                    if matches(name) { found.append(InputFile(path: full, relative: sub)) }
                default:
                    if matches(name) {
                        found.append(InputFile(path: full, relative: sub, problem: "not a regular file (\(kind(target.st_mode))); only regular files are read"))
                    }
                }
            }
        }

        func matches(_ name: String) -> Bool {
            include.isEmpty || include.contains { fnmatch($0, name, 0) == 0 }
        }

        func kind(_ mode: mode_t) -> String {
            switch mode & S_IFMT {
            case S_IFIFO: return "a FIFO"
            case S_IFSOCK: return "a socket"
            case S_IFCHR: return "a character device"
            case S_IFBLK: return "a block device"
            default: return "an unknown kind of file"
            }
        }
    }
}
