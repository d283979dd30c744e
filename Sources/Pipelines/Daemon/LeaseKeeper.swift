import Foundation
import Logging

/// Renews a claim's lease every third of its length on its own thread while the engine works on the file,
/// and remembers when the queue says the claim is no longer ours. The file's work goes on (its windows share
/// the batch with other files'), and the queue's fence refuses its outputs at commit.
final class LeaseKeeper: @unchecked Sendable {  // `lost` and `stopped` are only touched under `lock`
    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private var isLost = false
    private var stopped = false

    var lost: Bool { lock.withLock { isLost } }

    init(queue: SharedQueue, claim: QueueClaim, logger: Logger) {
        let interval = max(0.2, queue.leaseSeconds / 3)
        Thread.detachNewThread { [self] in
            while true {
                _ = wake.wait(timeout: .now() + interval)
                if lock.withLock({ stopped }) { return }
                do {
                    if try !queue.renew(claim) {
                        lock.withLock { isLost = true }
                        return
                    }
                } catch {
                    // The database is away; the fence decides at commit whether the work still counts.
                    logger.warning("lease renewal failed", metadata: ["file": "\(claim.source)", "error": "\(error)"])
                }
            }
        }
    }

    func stop() {
        lock.withLock { stopped = true }
        wake.signal()
    }
}
