import Foundation
import Testing
import TestSupport

/// `daemon --http` on a shared queue, checked from outside: `/health`, `/metrics` as Prometheus text, and the
/// status page loaded in a real headless browser (Debian's chromium), its numbers read back from the rendered
/// page and compared with `/metrics`; and `claire-pipeline status` for both backends.
@Suite(.serialized, .enabled(if: TestPostgres.url != nil, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresStatusPageTests {
    let daemons = PostgresDaemonTests()

    /// A workspace of 3 good transcripts and one that cannot be read (invalid UTF-8), which fails.
    func workspaceWithAFailure(_ name: String) throws -> PipelineWorkspace {
        let workspace = try daemons.makeWorkspace(name, files: 3, turns: 6)
        try Data([0x53, 0x50, 0x45, 0x41, 0x4B, 0x45, 0x52, 0x3A, 0x20, 0xC3, 0x28, 0x0A]).write(to: workspace.input.appendingPathComponent("broken.txt"))
        return workspace
    }

    func curl(_ url: String) throws -> (status: Int, body: String) {
        let result = try Executables.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-w", "\n%{http_code}", "--max-time", "10", url])
        let text = result.stdoutText
        let split = try #require(text.lastIndex(of: "\n"))
        return (Int(text[text.index(after: split)...]) ?? 0, String(text[..<split]))
    }

    /// The value of a Prometheus sample whose name and labels start with `prefix`.
    func sample(_ metrics: String, _ prefix: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { line in Double(line.split(separator: " ").last ?? "") }
    }

    /// The text of the element with `id` in the rendered DOM.
    func element(_ dom: String, _ id: String) -> String? {
        guard let start = dom.range(of: "id=\"\(id)\">") else { return nil }
        return String(dom[start.upperBound...].prefix { $0 != "<" })
    }

    @Test func theStatusPageInABrowserShowsWhatMetricsSay() throws {
        let workspace = try workspaceWithAFailure("page")
        defer { TemporaryFiles.remove(workspace.root) }
        let database = try TestPostgres.makeDatabase("page")
        let port = try LoopbackPort.free()
        let daemon = try daemons.launch(workspace, output: "shared", arguments: ["--state", database, "--every", "1h", "--http", "127.0.0.1:\(port)"],
                                        log: "daemon-0.log")
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) }; daemon.waitUntilExit() }
        #expect(try daemons.waitFor(database, "SELECT 1 WHERE (SELECT count(*) FROM claire_work WHERE status IN ('done', 'failed')) = 4", seconds: 120) != nil,
                "\(daemons.logs(workspace))")

        let health = try curl("http://127.0.0.1:\(port)/health")
        #expect(health.status == 200 && health.body.contains("\"status\":\"ok\""), "\(health)")
        let metrics = try curl("http://127.0.0.1:\(port)/metrics")
        #expect(metrics.status == 200)
        let labels = "{pipeline=\"page\""
        #expect(sample(metrics.body, "claire_queue_files\(labels),state=\"done\"}") == 3, "\(metrics.body)")
        #expect(sample(metrics.body, "claire_queue_files\(labels),state=\"failed\"}") == 1)
        #expect(sample(metrics.body, "claire_queue_depth\(labels)}") == 1)
        #expect(sample(metrics.body, "claire_files_done_total\(labels)}") == 3)
        #expect(sample(metrics.body, "claire_files_failed_total\(labels)}") == 1)
        #expect((sample(metrics.body, "claire_generated_tokens_total\(labels)}") ?? 0) > 0)
        #expect((sample(metrics.body, "claire_tokens_per_second\(labels)}") ?? 0) > 0)

        // The status command agrees, from the database alone.
        let binary = try #require(Executables.clairePipeline)
        let status = try Executables.run(binary, ["status", "--state", database])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdoutText.contains("pipeline page: 4 files — pending 0, running 0, done 3, failed 1, dead 0"), "\(status.stdoutText)")
        #expect(status.stdoutText.contains("broken.txt  attempt 1, retry at"), "\(status.stdoutText)")

        guard let chromium = ProcessInfo.processInfo.environment["CLAIRE_TEST_CHROMIUM"] else {
            print("CLAIRE_TEST_CHROMIUM is not set: the browser half of the status page test is skipped (Tests/Services/chromium.sh)")
            return
        }
        let url = "http://127.0.0.1:\(port)/"
        let browserFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                            "--user-data-dir=\(workspace.root.appendingPathComponent("chromium").path)"]
        let dom = try Executables.run(URL(fileURLWithPath: chromium), browserFlags + ["--dump-dom", url])
        #expect(dom.status == 0, "\(dom.stderr)")
        let metricsAfter = try curl("http://127.0.0.1:\(port)/metrics").body
        for state in ["pending", "running", "done", "failed", "dead"] {
            let shown = element(dom.stdoutText, "count-\(state)").flatMap { Double($0) }
            #expect(shown != nil && shown == sample(metricsAfter, "claire_queue_files\(labels),state=\"\(state)\"}"), "\(state) on the page: \(String(describing: shown))")
        }
        #expect(element(dom.stdoutText, "daemon-done").flatMap { Double($0) } == sample(metricsAfter, "claire_files_done_total\(labels)}"))
        #expect(element(dom.stdoutText, "done-last-hour") == "3")
        #expect(dom.stdoutText.contains("<svg"), "the throughput chart is inline SVG")
        #expect(dom.stdoutText.contains("broken.txt"), "the failure is listed")

        let screenshot = workspace.root.appendingPathComponent("status.png")
        let shot = try Executables.run(URL(fileURLWithPath: chromium), browserFlags + ["--window-size=1100,1300", "--screenshot=\(screenshot.path)", url])
        #expect(shot.status == 0, "\(shot.stderr)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a real screenshot (\(png.count) bytes)")
        if let keep = ProcessInfo.processInfo.environment["CLAIRE_TEST_SCREENSHOT_DIR"] {
            try? FileManager.default.copyItem(at: screenshot, to: URL(fileURLWithPath: keep).appendingPathComponent("status-page.png"))
        }

        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }
}

/// `status` on a single daemon's SQLite state (no PostgreSQL needed).
@Suite struct SQLiteStatusTests {
    @Test func statusReadsASQLiteState() throws {
        let daemons = PostgresDaemonTests()
        let workspace = try daemons.makeWorkspace("sqlite-status", files: 2, turns: 6)
        defer { TemporaryFiles.remove(workspace.root) }
        let run = try daemons.launch(workspace, output: "out", arguments: ["--once"])
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        let binary = try #require(Executables.clairePipeline)
        let state = workspace.output("out").appendingPathComponent(".claire-pipeline-state.sqlite").path
        let status = try Executables.run(binary, ["status", "--state", state, "--all"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdoutText.contains("pipeline sqlite-status: 2 files — pending 0, running 0, done 2, failed 0, dead 0"), "\(status.stdoutText)")
        #expect(status.stdoutText.contains("meeting-00.txt"))
        let json = try Executables.run(binary, ["status", "--state", state, "--json"])
        #expect(json.stdoutText.split(separator: "\n").count == 2)
        let missing = try Executables.run(binary, ["status", "--state", workspace.root.appendingPathComponent("nope.sqlite").path])
        #expect(missing.status == 1 && missing.stderr.contains("no state database here"), "\(missing.stderr)")
    }
}
