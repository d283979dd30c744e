import Foundation

/// A one-line progress bar on stderr when it is a terminal; plain log lines (at most every few seconds)
/// otherwise, so logs stay readable.
final class ProgressLine {
    let label: String
    private let isTerminal = isatty(2) == 1
    private let started = Date()
    private var lastPrinted = Date.distantPast

    init(label: String) {
        self.label = label
    }

    func update(done: Int, total: Int, unit: String) {
        let now = Date()
        let interval = isTerminal ? 0.1 : 5
        guard now.timeIntervalSince(lastPrinted) >= interval || done == total else { return }
        lastPrinted = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\r%@ %@ %d/%d %@ %.0f %@/s ETA %.0fs ", label, bar, done, total, unit, rate, unit, remaining).utf8))
        } else {
            Console.error(String(format: "%@: %d/%d %@ (%.0f%%), %.0f %@/s, ETA %.0fs", label, done, total, unit, fraction * 100, rate, unit, remaining))
        }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
