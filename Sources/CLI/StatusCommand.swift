import ArgumentParser
import Foundation
import Pipelines

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a daemon's queue: pending, running (owner and lease), done, failed (with errors) and dead files.",
        discussion: """
            --state is what the daemons were given: a postgres:// URL (shared queue) or the path of a SQLite state \
            database (default of one daemon: <output>/.claire-pipeline-state.sqlite). Human text on stdout; --json \
            prints one object per file instead.
            """
    )

    @Option(help: "The state: a postgres://user@host:port/db URL or a SQLite state database path.")
    var state: String

    @Option(help: "Only this pipeline (its name).")
    var pipeline: String?

    @Flag(help: "List done files too.")
    var all = false

    @Flag(help: "One JSON object per file (JSON lines).")
    var json = false

    func run() throws {
        let ledger = try StateLocation.openForReading(state)
        var rows = try ledger.allQueueRows()
        if let pipeline { rows = rows.filter { $0.pipeline == pipeline } }
        if json {
            for row in rows { Console.out(try Self.jsonLine(row)) }
        } else {
            Console.out(Self.text(rows, location: ledger.location, listDone: all, now: Date()))
        }
        Console.flush()
    }

    static func text(_ rows: [QueueRow], location: String, listDone: Bool, now: Date) -> String {
        var out = "state \(location)\n"
        if rows.isEmpty { return out + "no files yet\n" }
        let time = ISO8601DateFormatter()
        for (pipeline, group) in Dictionary(grouping: rows, by: \.pipeline).sorted(by: { $0.key < $1.key }) {
            let counts = QueueCounts(group)
            out += "\npipeline \(pipeline): \(counts.total) files — "
            out += QueueRow.State.allCases.map { "\($0.rawValue) \(counts[$0])" }.joined(separator: ", ") + "\n"
            for state in [QueueRow.State.running, .failed, .dead, .pending] + (listDone ? [.done] : []) {
                let members = group.filter { $0.state == state }
                guard !members.isEmpty else { continue }
                out += "  \(state.rawValue):\n"
                for row in members {
                    out += "    \(row.source)"
                    switch state {
                    case .running:
                        let lease = row.leaseUntil.map { "lease until \(time.string(from: $0)) (\(Self.relative($0, now: now)))" } ?? "no lease"
                        out += "  owner \(row.owner ?? "?"), \(lease), claim \(row.claimSeq ?? 0), attempt \(row.attempts)"
                    case .failed:
                        let retry = row.nextRetryAt.map { "retry at \(time.string(from: $0)) (\(Self.relative($0, now: now)))" } ?? "retry on the next scan"
                        out += "  attempt \(row.attempts), \(retry): \(Self.oneLine(row.lastError))"
                    case .dead:
                        out += "  after \(row.attempts) attempts: \(Self.oneLine(row.lastError))"
                    case .done:
                        out += row.seconds.map { String(format: "  %.1f s", $0) } ?? ""
                        out += row.owner.map { " by \($0)" } ?? ""
                    case .pending:
                        break
                    }
                    out += "\n"
                }
            }
        }
        return out
    }

    static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded())
        return seconds >= 0 ? "in \(seconds) s" : "expired \(-seconds) s ago"
    }

    static func oneLine(_ text: String?) -> String {
        (text ?? "no error recorded").replacingOccurrences(of: "\n", with: " ")
    }

    static func jsonLine(_ row: QueueRow) throws -> String {
        let time = ISO8601DateFormatter()
        var object: [String: Any] = [
            "pipeline": row.pipeline, "source": row.source, "state": row.state.rawValue, "attempts": row.attempts,
            "updated_at": time.string(from: row.updatedAt),
        ]
        object["claim"] = row.claimSeq
        object["owner"] = row.owner
        object["lease_until"] = row.leaseUntil.map(time.string(from:))
        object["next_retry_at"] = row.nextRetryAt.map(time.string(from:))
        object["error"] = row.lastError
        object["seconds"] = row.seconds
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
