import Foundation
import Pipelines

/// What `/metrics` and the status page show, read once per request: the whole queue (every daemon's work,
/// from the ledger) and this daemon's own activity.
struct StatusSnapshot {
    var location: String
    var pipeline: String
    var rows: [QueueRow]
    var counts: QueueCounts
    var activity: DaemonActivity.Counters
    var recentByThisDaemon: [DaemonActivity.FileRecord]
    var startedAt: Date
    var takenAt: Date

    static func read(ledger: any Ledger, pipeline: String, activity: DaemonActivity) throws -> StatusSnapshot {
        let rows = try ledger.allQueueRows().filter { $0.pipeline == pipeline }
        let (counters, recent) = activity.snapshot()
        return StatusSnapshot(location: ledger.location, pipeline: pipeline, rows: rows, counts: QueueCounts(rows), activity: counters,
                              recentByThisDaemon: recent, startedAt: activity.startedAt, takenAt: Date())
    }

    /// Files finished (done) per `bucket` over the last `span`, oldest bucket first, from the ledger's rows:
    /// every daemon's work, for a shared queue.
    func throughput(span: TimeInterval = 3600, bucket: TimeInterval = 300) -> [Int] {
        let count = Int(span / bucket)
        var buckets = [Int](repeating: 0, count: count)
        let start = takenAt.addingTimeInterval(-span)
        for row in rows where row.state == .done && row.updatedAt > start && row.updatedAt <= takenAt {
            let index = min(count - 1, Int(row.updatedAt.timeIntervalSince(start) / bucket))
            buckets[index] += 1
        }
        return buckets
    }

    /// Files done in the last hour.
    var doneLastHour: Int { throughput().reduce(0, +) }

    /// This daemon's generation speed since it started.
    var tokensPerSecond: Double {
        activity.generationSeconds > 0 ? Double(activity.tokens) / activity.generationSeconds : 0
    }

    /// Recently finished files, newest first: the ledger's done rows (with durations where recorded).
    func recentDone(limit: Int = 20) -> [QueueRow] {
        Array(rows.filter { $0.state == .done }.sorted { $0.updatedAt > $1.updatedAt }.prefix(limit))
    }

    var failures: [QueueRow] {
        rows.filter { $0.state == .failed || $0.state == .dead }.sorted { $0.updatedAt > $1.updatedAt }
    }
}
