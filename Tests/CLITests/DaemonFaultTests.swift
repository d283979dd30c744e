import Foundation
import Testing
import TestSupport

/// Faults created for real around the daemon process: a full disk holding the outputs and the state, a
/// read-only output folder, an unreadable input, an input still being written, the model removed and put
/// back, the state database locked by another process or corrupted. Each must give a clear error or a retry,
/// never a torn output (a `.jsonl` without its `.md`, a `.tmp-*`) and never a lost record.
@Suite(.serialized)
struct DaemonFaultTests {
    static let model = PipelineWorkspace.bundledModel

    /// The shared scratch layout, with the outputs (and by default the state) in `output`, which a test may put
    /// on a small or read-only mount.
    struct Workspace {
        let files: PipelineWorkspace
        let output: URL
        var root: URL { files.root }
        var input: URL { files.input }
        var pipeline: URL { files.pipeline }
        var state: URL { output.appendingPathComponent(".claire-pipeline-state.sqlite") }

        func write(file index: Int, lines: Int = 6) throws {
            try files.writeMeeting(index, turns: lines, age: 60) { "Fichier \(index), réplique \($0) : on parle du planning de la salle." }
        }
    }

    /// Inputs in `<root>/in`, outputs (and by default the state) in `output` or `<root>/out`.
    func makeWorkspace(files: Int, output: URL? = nil, model: URL = Self.model) throws -> Workspace {
        let scratch = try PipelineWorkspace(prefix: "daemon-faults")
        let workspace = Workspace(files: scratch, output: output ?? scratch.output("out"))
        for f in 0..<files { try workspace.write(file: f) }
        try scratch.writeCompleteTurnPipeline(name: "fault-test", seed: 5, window: 96, speakers: nil, generation: "max_new_tokens: 4",
                                            output: workspace.output, format: "jsonl+markdown", model: model)
        return workspace
    }

    func daemon(_ workspace: Workspace, _ extra: [String] = ["--once"], prefix: [String] = []) throws -> Executables.Result {
        let binary = try #require(Executables.clairePipeline, "the claire-pipeline binary is built beside the tests")
        let arguments = ["daemon", workspace.pipeline.path, "--settle", "0.3"] + extra
        if prefix.isEmpty { return try Executables.run(binary, arguments) }
        return try Executables.run(URL(fileURLWithPath: prefix[0]), Array(prefix.dropFirst()) + [binary.path] + arguments)
    }

    func launch(_ workspace: Workspace, _ extra: [String], log: URL) throws -> Process {
        let binary = try #require(Executables.clairePipeline)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["daemon", workspace.pipeline.path, "--settle", "0.5"] + extra
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return process
    }

    /// Relative paths of every file under `directory` (hidden ones included).
    func listing(_ directory: URL) -> [String] {
        ((FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String]) ?? []).filter {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        }.sorted()
    }

    /// No torn output: every `.jsonl` has its `.md` and the reverse, and no temporary is left.
    func expectWholeSets(_ directory: URL, sourceLocation: SourceLocation = #_sourceLocation) {
        let files = listing(directory)
        let jsonl = Set(files.filter { $0.hasSuffix(".jsonl") }.map { String($0.dropLast(6)) })
        let markdown = Set(files.filter { $0.hasSuffix(".md") }.map { String($0.dropLast(3)) })
        #expect(jsonl == markdown, "a half set of outputs: \(files)", sourceLocation: sourceLocation)
        #expect(!files.contains { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }, "temporaries left: \(files)", sourceLocation: sourceLocation)
    }

    /// The values of `key=` in the daemon's log lines containing `message`.
    func logged(_ log: String, _ message: String, key: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains(message) }.compactMap { line in
            guard let range = line.range(of: "\(key)=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " })
        }
    }

    // MARK: The output side

    @Test(.enabled(if: ScratchMount.isAvailable, "mounting a tmpfs needs root"))
    func diskFullWithTheStateInsideTheOutputFolder() throws {
        let disk = try ScratchMount(bytes: 4 << 20)
        defer { disk.unmount() }
        let workspace = try makeWorkspace(files: 2, output: disk.directory.appendingPathComponent("out"))
        defer { TemporaryFiles.remove(workspace.root) }
        let first = try daemon(workspace)
        #expect(first.status == 0, "\(first.stderr)")
        let before = listing(workspace.output).filter { !$0.hasPrefix(".") }
        #expect(before.count == 4)

        for f in 2..<5 { try workspace.write(file: f) }
        try disk.fill()
        let full = try daemon(workspace)
        #expect(full.status == 1)
        // Every new file was tried and has its own line naming it and the cause; the others stay done.
        for f in 2..<5 {
            #expect(full.stderr.split(separator: "\n").contains { $0.contains("meeting-\(f).txt") && $0.contains("No space left on device") },
                    "meeting-\(f).txt: \(full.stderr)")
        }
        #expect(logged(full.stderr, "cycle", key: "up_to_date") == ["2"], "the done rows were kept: \(full.stderr)")
        #expect(listing(workspace.output).filter { !$0.hasPrefix(".") } == before, "no new output, not even half of one")
        expectWholeSets(workspace.output)

        // Space again: the three are processed, and only they.
        disk.free()
        let after = try daemon(workspace)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(logged(after.stderr, "cycle", key: "processed") == ["3"] && logged(after.stderr, "cycle", key: "up_to_date") == ["2"], "\(after.stderr)")
        expectWholeSets(workspace.output)
    }

    @Test(.enabled(if: ScratchMount.isAvailable, "mounting a tmpfs needs root"))
    func readOnlyOutputFolder() throws {
        let disk = try ScratchMount(bytes: 1 << 20)
        defer { disk.unmount() }
        let workspace = try makeWorkspace(files: 2, output: disk.directory.appendingPathComponent("out"))
        defer { TemporaryFiles.remove(workspace.root) }
        try FileManager.default.createDirectory(at: workspace.output, withIntermediateDirectories: true)
        try disk.remountReadOnly()
        // With the state inside it, the daemon cannot start, and says why.
        let inside = try daemon(workspace)
        #expect(inside.status == 1)
        #expect(inside.stderr.contains(workspace.output.path) && inside.stderr.contains("Read-only file system"), "\(inside.stderr)")
        // With the state elsewhere, each file fails with the folder named, and the failure is recorded.
        let state = workspace.root.appendingPathComponent("state.sqlite").path
        let elsewhere = try daemon(workspace, ["--once", "--state", state])
        #expect(elsewhere.status == 1)
        #expect(logged(elsewhere.stderr, "file failed", key: "file").count == 2, "\(elsewhere.stderr)")
        #expect(elsewhere.stderr.contains("Read-only file system"))
        let again = try daemon(workspace, ["--once", "--state", state])
        #expect(logged(again.stderr, "cycle", key: "waiting") == ["2"], "recorded failures wait for their retry: \(again.stderr)")
        #expect(listing(workspace.output).isEmpty)
    }

    // MARK: The input side

    /// As root, permissions do not stop reads: the daemon runs without the capabilities that let root
    /// bypass them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), which is what an ordinary user is.
    static var withoutPermissionOverride: [String]? {
        if geteuid() != 0 { return [] }
        return FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            ? ["/usr/bin/setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"] : nil
    }

    @Test(.enabled(if: withoutPermissionOverride != nil, "as root, needs setpriv to drop the permission override"))
    func unreadableInputIsRecordedWithABackoffAndReadWhenFixed() throws {
        let workspace = try makeWorkspace(files: 2)
        defer { TemporaryFiles.remove(workspace.root) }
        let locked = workspace.input.appendingPathComponent("meeting-1.txt")
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked.path)
        let prefix = try #require(Self.withoutPermissionOverride)
        let first = try daemon(workspace, prefix: prefix)
        #expect(first.status == 1)
        #expect(first.stderr.split(separator: "\n").contains { $0.contains("file failed") && $0.contains(locked.path) && $0.contains("Permission denied") },
                "\(first.stderr)")
        #expect(logged(first.stderr, "cycle", key: "processed") == ["1"])
        let second = try daemon(workspace, prefix: prefix)
        #expect(second.status == 0)
        #expect(logged(second.stderr, "cycle", key: "waiting") == ["1"] && logged(second.stderr, "cycle", key: "failed") == ["0"],
                "not retried on every cycle: \(second.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: locked.path)
        let fixed = try daemon(workspace, prefix: prefix)
        #expect(fixed.status == 0)
        #expect(logged(fixed.stderr, "cycle", key: "processed") == ["1"], "a fixed file is read at once: \(fixed.stderr)")
        expectWholeSets(workspace.output)
    }

    /// The probe's case: a file written over several seconds was processed on every cycle as it grew.
    @Test func aFileWrittenOverSeveralCyclesIsProcessedOnce() throws {
        let workspace = try makeWorkspace(files: 1)
        defer { TemporaryFiles.remove(workspace.root) }
        let log = workspace.root.appendingPathComponent("daemon.log")
        let process = try launch(workspace, ["--every", "1s"], log: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
        let growing = workspace.input.appendingPathComponent("recording.txt")
        FileManager.default.createFile(atPath: growing.path, contents: nil)
        let handle = try FileHandle(forWritingTo: growing)
        var text = ""
        for line in 0..<16 {  // about 4 s: several of the daemon's cycles
            let next = "SPEAKER_0\(line % 2): Ligne \(line) de l'enregistrement en cours.\n"
            text += next
            handle.seekToEndOfFile()
            handle.write(Data(next.utf8))
            Thread.sleep(forTimeInterval: 0.25)
        }
        try handle.close()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !(try String(contentsOf: log, encoding: .utf8)).contains("recording.txt") { Thread.sleep(forTimeInterval: 0.2) }
        Thread.sleep(forTimeInterval: 3)  // more cycles: none may process it again
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(logged(output, "file done", key: "file").filter { $0.hasSuffix("recording.txt") }.count == 1, "\(output)")
        let records = try String(contentsOf: workspace.output.appendingPathComponent("next/recording.txt.md"), encoding: .utf8)
        #expect(records.contains("Ligne 15"), "the complete file was read")
        expectWholeSets(workspace.output)
    }

    // MARK: The model

    @Test func modelRemovedThenReplacedBetweenCycles() throws {
        let models = try TemporaryFiles.makeDirectory(prefix: "daemon-model")
        defer { TemporaryFiles.remove(models) }
        let model = models.appendingPathComponent("model.gguf")
        try FileManager.default.copyItem(at: Self.model, to: model)
        let workspace = try makeWorkspace(files: 1, model: model)
        defer { TemporaryFiles.remove(workspace.root) }
        let log = workspace.root.appendingPathComponent("daemon.log")
        let process = try launch(workspace, ["--every", "1s"], log: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
        func waitFor(_ text: String, count: Int = 1) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let written = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if written.components(separatedBy: text).count - 1 >= count { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        #expect(waitFor("file done"))
        try FileManager.default.moveItem(at: model, to: models.appendingPathComponent("aside.gguf"))
        try workspace.write(file: 1)
        #expect(waitFor("the model file is missing", count: 2), "a cycle without a model says so, and the daemon keeps its schedule")
        #expect(process.isRunning)
        // Put back as a new copy (another inode and time): loaded again before the waiting file is processed.
        try FileManager.default.copyItem(at: Self.model, to: model)
        #expect(waitFor("file done", count: 2))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationStatus == 0)
        let lines = output.split(separator: "\n")
        let reload = try #require(lines.firstIndex { $0.contains("the model changed on disk") }, "\(output)")
        let second = try #require(lines.lastIndex { $0.contains("file done") && $0.contains("meeting-1.txt") }, "\(output)")
        #expect(reload < second)
        expectWholeSets(workspace.output)
    }

    // MARK: The state database

    @Test func stateDatabaseLockedByAnotherProcess() throws {
        let workspace = try makeWorkspace(files: 1)
        defer { TemporaryFiles.remove(workspace.root) }
        #expect(try daemon(workspace).status == 0)
        try workspace.write(file: 1)
        // Another program holds an exclusive transaction on the database (Python's sqlite3, a real SQLite).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            time.sleep(60)
            """, workspace.state.path]
        let ready = Pipe()
        holder.standardOutput = ready
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) }; holder.waitUntilExit() }
        #expect(String(decoding: ready.fileHandleForReading.availableData, as: UTF8.self).contains("locked"))
        let locked = try daemon(workspace)
        #expect(locked.status == 1)
        #expect(locked.stderr.contains(workspace.state.path) && locked.stderr.contains("locked by another process"), "\(locked.stderr)")
        expectWholeSets(workspace.output)
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let released = try daemon(workspace)
        #expect(released.status == 0)
        #expect(logged(released.stderr, "cycle", key: "processed") == ["1"] && logged(released.stderr, "cycle", key: "up_to_date") == ["1"],
                "\(released.stderr)")
    }

    @Test func corruptedStateDatabaseIsRefusedAndKept() throws {
        let workspace = try makeWorkspace(files: 1)
        defer { TemporaryFiles.remove(workspace.root) }
        #expect(try daemon(workspace).status == 0)
        // Damaged pages behind a valid header, then not a database at all.
        var bytes = try Data(contentsOf: workspace.state)
        #expect(bytes.count >= 3 * 4096)
        for i in 4096..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i &* 131) }
        try bytes.write(to: workspace.state)
        let damaged = try daemon(workspace)
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains(workspace.state.path) && damaged.stderr.contains("corrupted"), "\(damaged.stderr)")
        #expect(try Data(contentsOf: workspace.state) == bytes, "the only record of what was done is never replaced")
        let garbage = Data("this is not a database, just text that took its name\n".utf8 + Data(repeating: 7, count: 8192))
        try garbage.write(to: workspace.state)
        let notDatabase = try daemon(workspace)
        #expect(notDatabase.status == 1)
        #expect(notDatabase.stderr.contains("not a valid SQLite database") || notDatabase.stderr.contains("corrupted"), "\(notDatabase.stderr)")
        #expect(try Data(contentsOf: workspace.state) == garbage)
    }
}
