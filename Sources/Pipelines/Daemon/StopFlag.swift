import Foundation

/// Set once, from any thread (a signal handler's task), read between windows.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private let wake = DispatchSemaphore(value: 0)

    public init() {}

    public var isSet: Bool { lock.withLock { stopped } }

    public func set() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first { wake.signal() }
    }

    /// Sleeps until `date` or until the flag is set, whichever comes first; true when woken by the flag.
    @discardableResult
    public func sleep(until date: Date) -> Bool {
        if isSet { return true }
        let seconds = max(0, date.timeIntervalSinceNow)
        let woken = wake.wait(timeout: .now() + seconds) == .success
        if woken { wake.signal() }  // stay set for the next sleeper
        return woken || isSet
    }
}
