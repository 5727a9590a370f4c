import Foundation
import StarlingDurability

/// Waits, on a thread of its own, for commitlog offsets to become durable and then calls
/// `onDurable` — so the database's worker never blocks on an fsync for clients that asked to see
/// only durable transactions ("confirmed reads").
final class DurabilityWatcher: @unchecked Sendable {
    private let log: Commitlog
    private let onDurable: @Sendable () -> Void
    private let condition = NSCondition()
    private var target: UInt64?
    private var stopped = false

    init(log: Commitlog, name: String, onDurable: @escaping @Sendable () -> Void) {
        self.log = log
        self.onDurable = onDurable
        NamedThread.start(name) { [self] in loop() }
    }

    /// Asks to be told once `offset` is durable.
    func request(_ offset: UInt64) {
        condition.lock()
        target = max(target ?? 0, offset)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while target == nil && !stopped { condition.wait() }
            let next = target
            target = nil
            let stop = stopped
            condition.unlock()
            if stop { return }
            guard let next else { continue }
            // A failed or closed log ends the wait too; the worker then sees what it can.
            try? log.waitUntilDurable(next)
            onDurable()
        }
    }
}
