import Dispatch
import StarlingStore
import StarlingDurability
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The figures of one snapshot, for operators and the benchmark.
public struct SnapshotStats: Sendable {
    /// The snapshot holds every transaction below this offset.
    public var offset: UInt64
    public var rows: Int
    /// The size of the snapshot file.
    public var bytes: Int
    /// How long the writer was held: capturing the committed state (a pass over the page tables).
    public var writerHeld: Duration
    /// From the capture to the published file (serialize, checksum, write, fsync, rename, fsync
    /// of the directory), retention included.
    public var total: Duration
}

/// A snapshot being written on a background thread; ``wait()`` blocks until it is published (or
/// failed). Any thread may wait.
public final class SnapshotJob: Sendable {
    /// The snapshot will hold every transaction below this offset.
    public let offset: UInt64
    private let outcome = Mutex<Result<SnapshotStats, DatabaseError>?>(nil)
    private let group = DispatchGroup()

    init(offset: UInt64) {
        self.offset = offset
        group.enter()
    }

    /// The outcome, or nil while the snapshot is still being written.
    public var result: Result<SnapshotStats, DatabaseError>? { outcome.withLock { $0 } }

    /// Waits until the snapshot is published or has failed.
    @discardableResult
    public func wait() -> Result<SnapshotStats, DatabaseError> {
        group.wait()
        return result!
    }

    func finish(_ r: Result<SnapshotStats, DatabaseError>) {
        outcome.withLock { $0 = r }
        group.leave()
    }
}

/// Snapshot offsets that retention must keep (with the log after them) while a backup copies them.
final class RetentionPins: Sendable {
    private let pins = Mutex<[UInt64: Int]>([:])

    func pin(_ offset: UInt64) { pins.withLock { $0[offset, default: 0] += 1 } }

    func unpin(_ offset: UInt64) {
        pins.withLock {
            $0[offset, default: 1] -= 1
            if $0[offset] == 0 { $0[offset] = nil }
        }
    }

    var offsets: Set<UInt64> { pins.withLock { Set($0.keys) } }
}

/// Hands a capture to the background thread without the thread holding the last reference: the
/// writer keeps one until it releases the capture, so the capture's pages are freed on the writer.
private final class CaptureBox: @unchecked Sendable {
    private var capture: StoreCapture?
    init(_ capture: StoreCapture) { self.capture = capture }
    func take() -> StoreCapture { defer { capture = nil }; return capture! }
}

extension Database {
    /// Starts a snapshot of the committed state now and returns at once: on the writer, only the
    /// page tables are captured (copy-on-write, see ``StoreCapture``); serializing, checksumming,
    /// writing, fsyncing and publishing the file, then retention (``snapshotsToKeep``), run on a
    /// background thread. One snapshot is written at a time: if one is still being written, this
    /// waits for it first (the automatic policy skips instead). Failures reach
    /// ``onSnapshotFinished``, ``snapshotFailure`` and the job.
    @discardableResult
    public func beginSnapshot() throws(DatabaseError) -> SnapshotJob {
        guard let directory, let log else { throw DatabaseError(.log, "an in-memory database has no snapshots") }
        if let failure { throw failure }
        if let running = inFlightSnapshot {
            running.job.wait()
            collectSnapshot()
        }
        let clock = ContinuousClock()
        let start = clock.now
        let offset = log.nextOffset
        let capture = store.capture()
        let held = clock.now - start
        let job = SnapshotJob(offset: offset)
        inFlightSnapshot = (job, capture)
        lastSnapshotStart = offset
        bytesSinceSnapshot = 0
        let box = CaptureBox(capture)
        let keep = max(1, snapshotsToKeep)
        let pins = retentionPins
        let report = onSnapshotFinished
        snapshotQueue.async {
            let result = Result<SnapshotStats, DatabaseError> { () throws(DatabaseError) -> SnapshotStats in
                let capture = box.take()
                // The log must hold everything below `offset` durably before a snapshot claims it.
                do throws(CommitlogError) { try log.flush() } catch {
                    throw DatabaseError(.log, "snapshot \(offset): \(error.description)")
                }
                let bytes = try SnapshotFile.write(capture, offset: offset, directory: directory + "/snapshots")
                try Self.applyRetention(directory: directory, keep: keep, pinned: pins.offsets)
                return SnapshotStats(
                    offset: offset, rows: capture.rowCount, bytes: bytes, writerHeld: held, total: clock.now - start)
            }
            // Reported before waiters wake, so a failure is in the log by the time they see it.
            report?(result)
            job.finish(result)
        }
        return job
    }

    /// Takes a snapshot and waits until it is published (the writer is held only for the
    /// capture, but this call returns when the file is durable). Returns its offset.
    @discardableResult
    public func snapshot() throws(DatabaseError) -> UInt64 {
        let job = try beginSnapshot()
        let result = job.wait()
        collectSnapshot()
        return try result.get().offset
    }

    /// The snapshot being written, if any.
    public var snapshotInProgress: SnapshotJob? {
        collectSnapshot()
        return inFlightSnapshot?.job
    }

    /// Takes a snapshot when the automatic policy says so and none is being written.
    func snapshotIfDue(after offset: UInt64) {
        collectSnapshot()
        let dueByCount = snapshotEvery.map { offset + 1 >= lastSnapshotStart + $0 } ?? false
        let dueByBytes = snapshotEveryBytes.map { bytesSinceSnapshot >= $0 } ?? false
        guard dueByCount || dueByBytes, inFlightSnapshot == nil else { return }
        do { try beginSnapshot() } catch { snapshotFailure = error }
    }

    /// On the writer: if the background snapshot finished, releases its capture and records
    /// the outcome.
    func collectSnapshot() {
        guard let (job, capture) = inFlightSnapshot, let result = job.result else { return }
        store.release(capture)
        inFlightSnapshot = nil
        switch result {
        case .success(let stats):
            lastSnapshot = stats
            lastSnapshotOffset = stats.offset
            snapshotFailure = nil
        case .failure(let e):
            snapshotFailure = e
        }
    }

    /// Waits for a snapshot being written (before closing).
    func finishSnapshots() {
        inFlightSnapshot?.job.wait()
        collectSnapshot()
    }

    /// Keeps the newest `keep` snapshots and the pinned ones; deletes older snapshots and the log
    /// segments wholly before the oldest snapshot kept.
    static func applyRetention(directory: String, keep: Int, pinned: Set<UInt64>) throws(DatabaseError) {
        let dir = directory + "/snapshots"
        let all = SnapshotFile.list(dir)
        let newest = Set(all.suffix(keep))
        for old in all where !newest.contains(old) && !pinned.contains(old) { unlink(dir + "/" + SnapshotFile.name(old)) }
        guard let oldest = all.filter({ newest.contains($0) || pinned.contains($0) }).min() else { return }
        do {
            let storage = try FileSegmentStorage(directory: directory + "/log")
            let starts = try storage.listSegments()
            // Segment i holds [starts[i], starts[i+1]); the last one is the open segment.
            for (i, start) in starts.enumerated().dropLast() where starts[i + 1] <= oldest {
                try storage.removeSegment(start: start)
            }
        } catch {
            throw DatabaseError(.log, "retention: \(error.description)")
        }
    }
}
