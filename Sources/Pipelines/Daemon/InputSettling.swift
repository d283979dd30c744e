import Foundation

/// Whether an input is still being written. Copies, downloads and recorders write a file over seconds; the
/// daemon must read it once, complete, rather than on every cycle while it grows. A file is settled when its
/// modification time is at least `quiet` old, or when its size and modification time have not moved during
/// `quiet` seconds of watching (which also covers a clock that puts modification times in the future).
public struct InputSettling: Sendable {
    /// How long a file must stay unchanged.
    public var quiet: TimeInterval
    /// How long one cycle waits for a file before leaving it to the next cycle.
    public var limit: TimeInterval

    public init(quiet: TimeInterval = 2, limit: TimeInterval = 60) {
        self.quiet = quiet
        self.limit = limit
    }

    public enum Outcome: Equatable, Sendable {
        case settled(FileStamp)
        /// Still changing when the wait ran out, or the stop flag was set.
        case stillChanging
        /// Not there (any more), or not a file that can be stamped: left to the reading to report.
        case unknown
    }

    /// True when the file can be read now without waiting.
    public func isQuiet(_ path: String, now: Date = Date()) -> Bool {
        guard let stamp = try? FileStamp(path: path) else { return true }
        return age(stamp, now: now) >= quiet
    }

    /// Waits until the file is settled (at most `limit`), checking `stop` between looks.
    public func waitUntilSettled(_ path: String, stop: StopFlag) -> Outcome {
        guard var last = try? FileStamp(path: path) else { return .unknown }
        let started = Date()
        var unchangedSince = started
        let poll = max(0.01, min(0.25, quiet / 4))
        while true {
            let now = Date()
            if age(last, now: now) >= quiet || now.timeIntervalSince(unchangedSince) >= quiet { return .settled(last) }
            if now.timeIntervalSince(started) >= limit || stop.isSet { return .stillChanging }
            if stop.sleep(until: now.addingTimeInterval(poll)) { return .stillChanging }
            guard let current = try? FileStamp(path: path) else { return .unknown }
            if current != last {
                last = current
                unchangedSince = Date()
            }
        }
    }

    private func age(_ stamp: FileStamp, now: Date) -> TimeInterval {
        now.timeIntervalSince1970 - Double(stamp.modifiedNanoseconds) / 1e9
    }
}
