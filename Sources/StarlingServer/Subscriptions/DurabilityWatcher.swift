import Foundation
import StarlingDurability

/// Waits, on a thread of its own, for commitlog offsets to become durable, so that the database's
/// worker never blocks on an fsync:
/// - with `every-commit`, a batch's frames are *parked* until the commits they report are durable
///   and then handed to the event loops, strictly in the order parked, while the worker goes on
///   with the next batch (the log fsyncs one group while the worker builds the next);
/// - for clients that asked to see only durable transactions ("confirmed reads"), `onDurable`
///   runs once a requested offset is durable (it wakes the worker, which sends what was held).
///
/// A failed or closed log ends every wait: parked frames are delivered anyway (the failure is the
/// database's next commit's error), as when the worker waited itself.
final class DurabilityWatcher: @unchecked Sendable {
    private let log: Commitlog
    private let onDurable: @Sendable () -> Void
    private let condition = NSCondition()
    // Under `condition`.
    private var parked: [(offset: UInt64, batch: Outbox.SealedBatch)] = []
    private var parkedHead = 0
    private var wakeAt: UInt64?
    private var delivering = false
    private var stopped = false

    init(log: Commitlog, name: String, onDurable: @escaping @Sendable () -> Void) {
        self.log = log
        self.onDurable = onDurable
        NamedThread.start(name) { [self] in loop() }
    }

    /// How many parked batches wait for the log.
    var parkedCount: Int { locked { parked.count - parkedHead } }

    /// Parks `batch` until `offset` is durable and every batch parked before it went out.
    func park(_ batch: Outbox.SealedBatch, until offset: UInt64) {
        locked {
            parked.append((offset, batch))
            condition.signal()
        }
    }

    /// Asks for `onDurable` once `offset` is durable.
    func request(_ offset: UInt64) {
        locked {
            wakeAt = max(wakeAt ?? 0, offset)
            condition.signal()
        }
    }

    /// Blocks until every parked batch was handed over (call once the log is durable, or they
    /// may wait for later commits).
    func drain() {
        locked { while parked.count > parkedHead || delivering { condition.wait() } }
    }

    func stop() {
        locked {
            stopped = true
            condition.broadcast()
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// The offset to wait for next: the oldest parked batch's, else the requested one (nil: none).
    private var nextWait: UInt64? {
        parked.count > parkedHead ? parked[parkedHead].offset : wakeAt
    }

    private func loop() {
        while true {
            condition.lock()
            while nextWait == nil && !stopped { condition.wait() }
            guard !stopped, let next = nextWait else {
                condition.unlock()
                return
            }
            condition.unlock()
            var reached = UInt64.max  // a failed or closed log: deliver what waits
            if (try? log.waitUntilDurable(next)) != nil { reached = max(next, log.durableOffset ?? next) }
            let (ready, wake) = takeReady(upTo: reached)
            for batch in ready { batch.deliver() }
            if wake { onDurable() }
            locked {
                delivering = false
                condition.broadcast()
            }
        }
    }

    /// Removes the parked batches whose offsets are at most `reached` (in order) and the wake
    /// request if it is due; marks a delivery as under way.
    private func takeReady(upTo reached: UInt64) -> ([Outbox.SealedBatch], Bool) {
        locked {
            var ready: [Outbox.SealedBatch] = []
            while parkedHead < parked.count, parked[parkedHead].offset <= reached {
                ready.append(parked[parkedHead].batch)
                parkedHead += 1
            }
            if parkedHead == parked.count || parkedHead >= 64 {
                parked.removeFirst(parkedHead)
                parkedHead = 0
            }
            let wake = wakeAt.map { $0 <= reached } ?? false
            if wake { wakeAt = nil }
            delivering = true
            return (ready, wake)
        }
    }
}
