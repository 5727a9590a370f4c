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

    init(store: Datastore, log: Commitlog?, recovery: RecoveryReport) {
        self.store = store
        self.log = log
        self.recovery = recovery
    }

    /// A database that keeps nothing on disk.
    public static func inMemory() -> Database {
        Database(store: Datastore(), log: nil, recovery: RecoveryReport())
    }

    /// Opens (or creates) the database whose log lives in `directory/log`, replaying the log.
    public static func open(
        directory: String, fsync: FsyncPolicy = .batch, maxSegmentSize: Int = 256 << 20,
        progress: ((CommitlogReplayProgress) -> Void)? = nil
    ) throws(DatabaseError) -> Database {
        let store = Datastore()
        let clock = ContinuousClock()
        let start = clock.now
        let storage: FileSegmentStorage
        do { storage = try FileSegmentStorage(directory: directory + "/log") } catch {
            throw DatabaseError(.log, error.description)
        }
        let opened: (log: Commitlog, recovery: CommitlogRecovery)
        do {
            opened = try Commitlog.open(
                storage: storage, fsyncPolicy: fsync, maxSegmentSize: maxSegmentSize, progress: progress
            ) { (offset: UInt64, payload: UnsafeRawBufferPointer) throws in
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
        let recovered = opened.recovery
        let report = RecoveryReport(
            nextOffset: recovered.nextOffset, records: recovered.stats.records, bytes: recovered.stats.bytes,
            warnings: recovered.warnings.map { (w: CommitlogWarning) in w.description }, duration: clock.now - start)
        return Database(store: store, log: opened.log, recovery: report)
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
        let payload = CommitRecord(timestamp: timestamp, reducer: reducer, delta: delta).encode()
        do {
            let offset = log.fsyncPolicy == .everyCommit ? try log.appendAndWait(payload) : try log.append(payload)
            return (delta, offset)
        } catch {
            let e = DatabaseError(
                .log, "the commitlog failed after a commit; the database refuses further writes: \(error.description)")
            failure = e
            throw e
        }
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

    /// Writes and fsyncs everything queued, then stops the log writer.
    public func close() throws(DatabaseError) {
        do { try log?.close() } catch { throw DatabaseError(.log, error.description) }
    }
}

/// What recovery did when a database was opened.
public struct RecoveryReport: Sendable {
    public var nextOffset: UInt64 = 0
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
