import Foundation
import StarlingDatabase
import StarlingDurability
import StarlingTypes
import Synchronization

/// Learns what a ``DatabaseWorker`` did besides running submitted jobs. Called on the worker thread.
public protocol DatabaseWorkerObserver: AnyObject {
    /// A scheduled reducer ran (one transaction, committed or not), or the row of a failed
    /// one-shot schedule was removed. Called right after the transaction, before the next one.
    func workerRanSchedule(_ result: CallResult, in db: ModuleDatabase)
    /// The worker finished a batch of jobs (and schedules) and is about to wait for more: the
    /// moment to send what the batch produced.
    func workerFinishedBatch(_ db: ModuleDatabase)
}

/// The single writer of one ``ModuleDatabase``: a dedicated thread that runs submitted work in
/// order and fires scheduled reducers when they are due. Other threads talk to it only through
/// ``submit(_:)`` / ``perform(_:)``.
public final class DatabaseWorker: @unchecked Sendable {
    private let db: ModuleDatabase
    /// Unowned, not weak: the observer owns the worker and stops it before it goes away, and a
    /// weak reference would give the observer a side table, which makes every retain and release
    /// of it (one per client message) take the runtime's slow path.
    /// Set once, before the thread starts (``start(observer:)``).
    private unowned(unsafe) var observer: (any DatabaseWorkerObserver)?
    /// Guards `jobs` and `stopping`, and wakes the thread.
    private let wakeup = NSCondition()
    private var jobs: [(ModuleDatabase) -> Void] = []
    private var stopping = false
    /// Counts submissions (and the stop request) since the thread last took the jobs, so the
    /// thread can poll for work without the lock.
    private let queued = Atomic<Int>(0)
    private let stopped = DispatchSemaphore(value: 0)

    private let name: String
    private var started = false

    /// Starts the worker thread for `db` (which it then owns).
    public convenience init(_ db: ModuleDatabase, name: String = "db", observer: (any DatabaseWorkerObserver)? = nil) {
        self.init(unstarted: db, name: name)
        start(observer: observer)
    }

    /// A worker for `db` (which it then owns) whose thread starts with ``start(observer:)``: for an
    /// observer that holds the worker in a constant and so can only be passed once it exists.
    public init(unstarted db: ModuleDatabase, name: String = "db") {
        self.db = db
        self.name = name
    }

    /// Starts the thread, telling `observer` what it does. Call once.
    public func start(observer: (any DatabaseWorkerObserver)?) {
        precondition(!started, "DatabaseWorker.start called twice")
        started = true
        self.observer = observer
        NamedThread.start(name) { [unowned self] in self.loop() }
    }

    /// Runs `job` on the worker thread, after the jobs submitted before it.
    public func submit(_ job: @escaping (ModuleDatabase) -> Void) {
        wakeup.lock()
        jobs.append(job)
        queued.add(1, ordering: .relaxed)
        wakeup.signal()
        wakeup.unlock()
    }

    /// Runs `job` on the worker thread and waits for its result.
    public func perform<T>(_ job: @escaping (ModuleDatabase) -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        var result: T?
        submit { db in
            result = job(db)
            done.signal()
        }
        done.wait()
        return result!
    }

    /// Finishes queued work, stops the thread and closes the database.
    public func stop() {
        wakeup.lock()
        stopping = true
        queued.add(1, ordering: .relaxed)
        wakeup.signal()
        wakeup.unlock()
        stopped.wait()
    }

    /// How long the thread polls for more work after a batch before it sleeps, when work has
    /// been coming back that fast. Sleeping and being woken costs both sides a context switch
    /// (and, in a VM, an interrupt to a halted CPU): with 64 clients each waiting for its reply,
    /// polling for up to this long raised throughput by ~15% on a 2-core VM (BENCHMARKS.md,
    /// 2026-11-30). The thread yields its CPU while it polls, so runnable threads (event loops,
    /// other workers) are not held up by it; a schedule that falls due meanwhile runs at most
    /// this much later.
    static let spinLimit = Duration.microseconds(250)

    private func loop() {
        // Swapped with `jobs` each round, so neither array is reallocated once grown.
        var batch: [(ModuleDatabase) -> Void] = []
        // Whether to poll before sleeping: the last idle spell was short enough that polling
        // would have caught its end. A database that goes quiet stops polling after one spell.
        var spinNext = false
        while true {
            batch.removeAll(keepingCapacity: batch.capacity <= 4096)
            wakeup.lock()
            swap(&batch, &jobs)
            queued.store(0, ordering: .relaxed)
            let stop = stopping
            wakeup.unlock()
            for job in batch { job(db) }
            // Schedules run between batches even under constant load, so they are never starved.
            if let next = db.nextScheduledTime, next <= Timestamp.now {
                db.runDueSchedules { observer?.workerRanSchedule($0, in: db) }
            }
            observer?.workerFinishedBatch(db)
            if !batch.isEmpty { continue }
            if stop { break }
            let idleSince = ContinuousClock.now
            if spinNext && pollForWork(until: idleSince + Self.spinLimit) { continue }
            wakeup.lock()
            if jobs.isEmpty && !stopping {
                if let next = db.nextScheduledTime {
                    let wait = Double(next.microsSinceUnixEpoch - Timestamp.now.microsSinceUnixEpoch) / 1e6
                    if wait > 0 { _ = wakeup.wait(until: Date(timeIntervalSinceNow: min(wait, 60))) }
                } else {
                    wakeup.wait()
                }
            }
            wakeup.unlock()
            spinNext = ContinuousClock.now - idleSince <= Self.spinLimit
        }
        try? db.close()
        stopped.signal()
    }

    /// Polls for submitted work until `deadline`, yielding the CPU between looks; true if some came.
    private func pollForWork(until deadline: ContinuousClock.Instant) -> Bool {
        while queued.load(ordering: .relaxed) == 0 {
            if ContinuousClock.now >= deadline { return false }
            sched_yield()
        }
        return true
    }
}
