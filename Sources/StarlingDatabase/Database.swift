import Dispatch
public import StarlingDurability
public import StarlingStore
public import StarlingTypes

#if canImport(Glibc)
import Glibc
#endif

/// One durable database: the in-memory ``Datastore`` plus its commitlog.
///
/// ``open(directory:fsync:maxSegmentSize:progress:)`` recovers the state by replaying the log;
/// ``commit(_:reducer:timestamp:)`` commits a transaction and appends its ``CommitRecord`` to the
/// log — with `every-commit` it returns only once the record is fsynced. Like the datastore it
/// belongs to one writer (the database's executor); it is not thread-safe.
public final class Database {
    /// The in-memory state. Write only through ``commit(_:reducer:timestamp:)`` / ``write(_:)``.
    public let store: Datastore
    /// The log, or nil for an in-memory database.
    public let log: Commitlog?
    /// What recovery found when the database was opened.
    public let recovery: RecoveryReport
    /// Set when the log failed after a commit: memory and disk may differ, so no more writes.
    public private(set) var failure: DatabaseError?
    /// The database's directory (nil in memory).
    public let directory: String?
    /// How many snapshots ``snapshot()`` keeps (the log before the oldest kept one is deleted).
    public var snapshotsToKeep = 2
    /// Take a snapshot automatically once this many transactions were logged since the last one
    /// (nil: only on demand).
    public var snapshotEvery: UInt64? = nil
    /// Take a snapshot automatically once this many bytes of records were logged since the last
    /// one (nil: no byte limit).
    public var snapshotEveryBytes: Int? = nil
    /// Bytes of records logged since the last snapshot.
    public internal(set) var bytesSinceSnapshot = 0
    /// The offset of the newest published snapshot (taken or recovered from).
    public internal(set) var lastSnapshotOffset: UInt64 = 0
    /// Why the last snapshot failed (nil once one succeeds).
    public internal(set) var snapshotFailure: DatabaseError?
    /// The figures of the last snapshot published since the database was opened.
    public internal(set) var lastSnapshot: SnapshotStats?
    /// Called on the snapshot thread when a snapshot is published or fails (for logging).
    public var onSnapshotFinished: (@Sendable (Result<SnapshotStats, DatabaseError>) -> Void)?
    /// The offset of the newest snapshot started (the automatic policy counts from it).
    var lastSnapshotStart: UInt64 = 0
    /// The snapshot being written in the background and the capture it reads.
    var inFlightSnapshot: (job: SnapshotJob, capture: StoreCapture)?
    /// Where snapshots are written, one at a time.
    let snapshotQueue = DispatchQueue(label: "starling.snapshot")
    /// Snapshots that backups are copying.
    let retentionPins = RetentionPins()
    /// With `every-commit`, whether ``commit(_:reducer:timestamp:)`` leaves the wait for the fsync
    /// to the caller (``waitUntilDurable()``), so one fsync covers a whole batch of commits
    /// (group commit by a server that acknowledges a batch at once). Such commits do not start the
    /// log's write either: the caller's wait does, or ``writeDeferredCommits()`` when nobody waits.
    public var defersDurabilityWait = false

    init(store: Datastore, log: Commitlog?, recovery: RecoveryReport, directory: String?) {
        self.store = store
        self.log = log
        self.recovery = recovery
        self.directory = directory
        lastSnapshotOffset = recovery.snapshotOffset ?? 0
        lastSnapshotStart = lastSnapshotOffset
    }

    /// A database that keeps nothing on disk.
    public static func inMemory() -> Database {
        Database(store: Datastore(), log: nil, recovery: RecoveryReport(), directory: nil)
    }

    /// Opens (or creates) the database whose log lives in `directory/log`, replaying the log.
    public static func open(
        directory: String, fsync: FsyncPolicy = .batch, maxSegmentSize: Int = 256 << 20,
        syncDelayMicros: UInt32 = 0, progress: ((CommitlogReplayProgress) -> Void)? = nil
    ) throws(DatabaseError) -> Database {
        var store = Datastore()
        let clock = ContinuousClock()
        let start = clock.now
        // The newest snapshot that reads back whole; damaged ones are skipped with a warning.
        var warnings: [String] = []
        var snapshotOffset: UInt64 = 0
        for offset in SnapshotFile.list(directory + "/snapshots").reversed() {
            do throws(DatabaseError) {
                let tables = try SnapshotFile.read(
                    directory + "/snapshots/" + SnapshotFile.name(offset), expectedOffset: offset)
                let loaded = Datastore()
                do throws(StoreError) { try loaded.load(snapshot: tables) } catch {
                    throw DatabaseError(.replay, "snapshot \(SnapshotFile.name(offset)) does not load: \(error.message)")
                }
                store = loaded
                snapshotOffset = offset
                break
            } catch {
                warnings.append("skipping snapshot \(SnapshotFile.name(offset)): \(error.message)")
            }
        }
        let replayFrom = snapshotOffset
        let storage: FileSegmentStorage
        do { storage = try FileSegmentStorage(directory: directory + "/log") } catch {
            throw DatabaseError(.log, error.description)
        }
        let recovered: CommitlogRecovery
        do {
            recovered = try CommitlogReader(storage: storage).recover(progress: progress) {
                [store] (offset: UInt64, payload: UnsafeRawBufferPointer) throws in
                if offset < replayFrom { return }  // already in the snapshot
                do throws(StoreError) {
                    try store.replay(payload: payload)
                } catch {
                    throw DatabaseError(
                        .replay, "replaying transaction \(offset) of \(directory)/log failed: \(error.message)")
                }
            }
        } catch let e as DatabaseError {
            throw e
        } catch let e as CommitlogError {
            throw DatabaseError(.log, e.description)
        } catch {
            throw DatabaseError(.log, "\(error)")
        }
        if let first = recovered.firstOffset, first > snapshotOffset {
            throw DatabaseError(
                .log,
                "the log of \(directory) starts at transaction \(first), but no usable snapshot covers the transactions before it "
                    + "(newest usable snapshot: \(snapshotOffset == 0 ? "none" : String(snapshotOffset))). Restore from a backup.")
        }
        // New transactions must get offsets above everything the snapshot holds; an empty log
        // directory (only a snapshot left) starts there.
        var nextOffset = recovered.nextOffset
        if nextOffset < snapshotOffset {
            let segments: [UInt64]
            do { segments = try storage.listSegments() } catch { throw DatabaseError(.log, error.description) }
            guard segments.isEmpty else {
                throw DatabaseError(
                    .log,
                    "the log of \(directory) ends at transaction \(nextOffset), before snapshot \(snapshotOffset) that should "
                        + "have been logged first. Restore from a backup.")
            }
            nextOffset = snapshotOffset
        }
        let log: Commitlog
        do {
            log = try Commitlog(
                storage: InstrumentedSegmentStorage(storage, artificialSyncDelayMicros: syncDelayMicros), nextOffset: nextOffset,
                fsyncPolicy: fsync, maxSegmentSize: maxSegmentSize)
        } catch {
            throw DatabaseError(.log, error.description)
        }
        let report = RecoveryReport(
            nextOffset: nextOffset, snapshotOffset: snapshotOffset == 0 ? nil : snapshotOffset,
            records: recovered.stats.records, bytes: recovered.stats.bytes,
            warnings: warnings + recovered.warnings.map { (w: CommitlogWarning) in w.description }, duration: clock.now - start)
        return Database(store: store, log: log, recovery: report, directory: directory)
    }

    /// Commits `tx` (begun on ``store``) and logs it; returns the delta and the log offset (nil
    /// for an in-memory database or an empty transaction, which is not logged).
    @discardableResult
    public func commit(_ tx: MutTx, reducer: ReducerCall? = nil, timestamp: Timestamp = .now)
        throws(DatabaseError) -> (delta: TxDelta, offset: UInt64?)
    {
        if let failure {
            tx.rollback()
            throw failure
        }
        let delta: TxDelta
        do { delta = try tx.commit() } catch { throw DatabaseError(.store, error.message) }
        guard let log, !delta.isEmpty else { return (delta, nil) }
        let record = CommitRecord(timestamp: timestamp, reducer: reducer, delta: delta)
        let offset: UInt64, size: Int
        do {
            // Encoded straight into the log's queue: no buffer of its own per transaction.
            let grouped = log.fsyncPolicy == .everyCommit && defersDurabilityWait
            (offset, size) = try log.append(wakingWriter: !grouped) { record.encode(to: &$0) }
            if log.fsyncPolicy == .everyCommit && !defersDurabilityWait { try log.waitUntilDurable(offset) }
        } catch {
            let e = DatabaseError(
                .log, "the commitlog failed after a commit; the database refuses further writes: \(error.description)")
            failure = e
            throw e
        }
        // The transaction is committed and logged whatever happens to an automatic snapshot, so
        // a failed one is reported through `snapshotFailure` rather than as this commit's error.
        bytesSinceSnapshot += size
        if snapshotEvery != nil || snapshotEveryBytes != nil || inFlightSnapshot != nil { snapshotIfDue(after: offset) }
        return (delta, offset)
    }

    /// Starts writing the commits made with ``defersDurabilityWait`` that nobody waits for (the
    /// end of a server batch that sends no replies), without waiting.
    public func writeDeferredCommits() {
        guard defersDurabilityWait, let log, log.fsyncPolicy == .everyCommit else { return }
        log.wakeWriter()
    }

    /// Waits until everything committed so far is durable under the log's policy (with
    /// `every-commit`: fsynced). Returns at once for an in-memory database.
    public func waitUntilDurable() throws(DatabaseError) {
        guard let log, log.fsyncPolicy == .everyCommit else { return }
        let next = log.nextOffset
        guard next > 0 else { return }
        do { try log.waitUntilDurable(next - 1) } catch { throw DatabaseError(.log, "waiting for the commitlog failed: \(error.description)") }
    }

    /// Runs `body` in a transaction and commits it (rolls back if `body` throws).
    @discardableResult
    public func write<T>(
        reducer: ReducerCall? = nil, _ body: (MutTx) throws(StoreError) -> T
    ) throws(DatabaseError) -> (value: T, delta: TxDelta, offset: UInt64?) {
        let tx = store.begin()
        let value: T
        do { value = try body(tx) } catch {
            tx.rollback()
            throw DatabaseError(.store, error.message, store: error)
        }
        let (delta, offset) = try commit(tx, reducer: reducer)
        return (value, delta, offset)
    }

    /// An online backup into `target` (created; must not exist yet): a fresh snapshot plus the
    /// log from it on. Same as `try prepareBackup().copy(to: target)`.
    public func backup(to target: String) throws(DatabaseError) {
        try prepareBackup().copy(to: target)
    }

    /// The part of a backup that needs the writer: takes a snapshot and returns what to copy. The
    /// returned plan's ``BackupPlan/copy(to:)`` may run on another thread while this database
    /// keeps committing (the snapshot never changes; log segments only grow, and a record cut
    /// short by the copy is a torn tail that recovery drops).
    public func prepareBackup() throws(DatabaseError) -> BackupPlan {
        guard let directory else { throw DatabaseError(.log, "an in-memory database cannot be backed up") }
        // A snapshot being written serves as well as a new one: it is consistent and complete
        // once published, which the copy waits for.
        let job: SnapshotJob
        if let running = snapshotInProgress { job = running } else { job = try beginSnapshot() }
        return BackupPlan(directory: directory, job: job, pins: retentionPins)
    }

    /// Waits for a snapshot being written, writes and fsyncs everything queued, then stops the
    /// log writer.
    public func close() throws(DatabaseError) {
        finishSnapshots()
        do { try log?.close() } catch { throw DatabaseError(.log, error.description) }
    }
}

/// What to copy for a backup: one snapshot and the log from it on. Restore by opening a copy.
/// While the plan exists, retention keeps its snapshot and the log after it.
public final class BackupPlan: Sendable {
    public let directory: String
    /// The snapshot being written (or written) for the backup.
    public let job: SnapshotJob
    private let pins: RetentionPins

    init(directory: String, job: SnapshotJob, pins: RetentionPins) {
        self.directory = directory
        self.job = job
        self.pins = pins
        pins.pin(job.offset)
    }

    deinit { pins.unpin(job.offset) }

    /// The offset of the backup's snapshot.
    public var snapshotOffset: UInt64 { job.offset }

    /// Waits until the snapshot is published; fails if writing it failed.
    public func waitForSnapshot() throws(DatabaseError) {
        if case .failure(let e) = job.wait() { throw DatabaseError(e.code, "backup: the snapshot failed: \(e.message)") }
    }

    /// The files of the backup (paths relative to ``directory``): the snapshot, then the log
    /// segments from the one holding ``snapshotOffset`` on. Waits for the snapshot first.
    public func files() throws(DatabaseError) -> [String] {
        try waitForSnapshot()
        let starts: [UInt64]
        let storage: FileSegmentStorage
        do {
            storage = try FileSegmentStorage(directory: directory + "/log")
            starts = try storage.listSegments()
        } catch {
            throw DatabaseError(.log, "backup: \(error.description)")
        }
        let from = starts.lastIndex { $0 <= snapshotOffset } ?? 0
        return ["snapshots/" + SnapshotFile.name(snapshotOffset)] + starts[from...].map { "log/" + storage.segmentName($0) }
    }

    /// Copies the snapshot and the log segments from the one holding ``snapshotOffset`` on into
    /// `target` (created; must not exist), fsyncing every file and directory.
    public func copy(to target: String) throws(DatabaseError) {
        let files = try files()
        guard mkdir(target, 0o755) == 0 else {
            throw DatabaseError(.log, "backup: cannot create \(target): \(String(cString: strerror(errno)))")
        }
        mkdir(target + "/snapshots", 0o755)
        mkdir(target + "/log", 0o755)
        for file in files { try Self.copyFile(directory + "/" + file, target + "/" + file) }
        SnapshotFile.syncDirectory(target + "/log")
        SnapshotFile.syncDirectory(target + "/snapshots")
        SnapshotFile.syncDirectory(target)
    }

    private static func copyFile(_ from: String, _ to: String) throws(DatabaseError) {
        guard let bytes = SnapshotFile.readFile(from) else { throw DatabaseError(.log, "backup: cannot read \(from)") }
        try SnapshotFile.writeDurably(bytes, to: to)
    }
}

/// What recovery did when a database was opened.
public struct RecoveryReport: Sendable {
    public var nextOffset: UInt64 = 0
    /// The snapshot recovery started from, if any.
    public var snapshotOffset: UInt64?
    public var records = 0
    public var bytes = 0
    /// Torn tails truncated and similar repairs, for the operator.
    public var warnings: [String] = []
    public var duration: Duration = .zero
}

/// A failure of a durable database: a store error, a log error, or a replay that did not fit.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case store, log, replay
    }

    public var code: Code
    public var message: String
    /// The datastore error behind a `store` failure.
    public var store: StoreError?

    public init(_ code: Code, _ message: String, store: StoreError? = nil) {
        self.code = code
        self.message = message
        self.store = store
    }

    public var description: String { message }
}

extension Timestamp {
    /// The current wall-clock time.
    public static var now: Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microsSinceUnixEpoch: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}
