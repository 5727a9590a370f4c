import Foundation
import Glibc
import StarlingTypes
import Synchronization

/// When a record counts as durable (see "Writing and durability" in `docs/commitlog.md`).
public enum FsyncPolicy: String, Sendable, CaseIterable {
    /// Acknowledge a commit only after the fsync of the batch holding it (`waitUntilDurable`).
    case everyCommit = "every-commit"
    /// Acknowledge at once; the writer fsyncs after every round.
    case batch
    /// Never fsync while running (only on segment roll, `flush` and `close`); durable means written.
    case off
}

/// The writer of a commitlog: appends records with gapless offsets through one background thread
/// that writes each round's records in one write and fsyncs per the policy (group commit).
///
/// `append` never blocks on I/O, so it can be called inside the committer's critical section
/// (offsets follow call order); with `.everyCommit`, acknowledge a commit only after
/// `waitUntilDurable(offset)` (or use `appendAndWait`). After an I/O error the log is failed:
/// waiters and every later call get that error.
public final class Commitlog: Sendable {
    let core: CommitlogCore

    /// The fsync policy.
    public var fsyncPolicy: FsyncPolicy { core.policy }
    /// The size at which a new segment is started.
    public var maxSegmentSize: Int { core.maxSegmentSize }
    /// Writes, bytes and fsyncs so far, when the log's storage counts them
    /// (``InstrumentedSegmentStorage``).
    public var statistics: InstrumentedSegmentStorage? { core.storage as? InstrumentedSegmentStorage }

    /// A writer appending to `storage`, whose next record gets `nextOffset` (from recovery: pass
    /// `CommitlogRecovery.nextOffset` of the same storage). Appends to the last segment, or
    /// creates the first one.
    ///
    /// - Throws: `.invalidArgument` if the last segment cannot take `nextOffset` next, `.io`.
    public init(
        storage: any SegmentStorage, nextOffset: UInt64, fsyncPolicy: FsyncPolicy = .batch,
        maxSegmentSize: Int = 256 << 20
    ) throws(CommitlogError) {
        let appender: any SegmentAppender
        if let last = try storage.listSegments().last {
            let name = CommitlogFormat.segmentName(last)
            guard last <= nextOffset else {
                throw CommitlogError(
                    .invalidArgument, "next offset \(nextOffset) is before the last segment", segment: name)
            }
            appender = try storage.openForAppend(start: last)
            let size = appender.size
            let header = CommitlogFormat.segmentHeaderSize
            if size < header || (size == header && last != nextOffset) {
                try? appender.close()
                throw CommitlogError(
                    .invalidArgument,
                    "the last segment (\(size) bytes) cannot take offset \(nextOffset) next; "
                        + "open the log with recovery first",
                    segment: name)
            }
        } else {
            appender = try storage.createSegment(start: nextOffset)
        }
        core = CommitlogCore(
            storage: storage, nextOffset: nextOffset, policy: fsyncPolicy, maxSegmentSize: maxSegmentSize)
        let box = UncheckedBox(appender)
        let core = core
        NamedThread.start("commitlog") { core.runWriter(appender: box.value) }
    }

    /// Recovers the log in `storage` (see `CommitlogReader.recover`), then opens a writer after
    /// its last record.
    ///
    /// - Throws: `CommitlogError`, or whatever `replay` throws.
    public static func open(
        storage: any SegmentStorage, fsyncPolicy: FsyncPolicy = .batch, maxSegmentSize: Int = 256 << 20,
        progress: ((CommitlogReplayProgress) -> Void)? = nil,
        replay: (_ offset: UInt64, _ payload: UnsafeRawBufferPointer) throws -> Void
    ) throws -> (log: Commitlog, recovery: CommitlogRecovery) {
        let recovery = try CommitlogReader(storage: storage).recover(progress: progress, replay: replay)
        let log = try Commitlog(
            storage: storage, nextOffset: recovery.nextOffset, fsyncPolicy: fsyncPolicy, maxSegmentSize: maxSegmentSize)
        return (log, recovery)
    }

    deinit { core.shutdown() }

    /// Queues `payload` as the next record and returns its offset at once (no I/O wait).
    ///
    /// - Throws: `.invalidArgument` for a payload of 4 GiB or more, `.closed` after `close`,
    ///   or the I/O error that failed the log.
    @discardableResult
    public func append(_ payload: [UInt8]) throws(CommitlogError) -> UInt64 {
        try core.append { w in payload.withUnsafeBytes { w.writeRaw($0) } }.offset
    }

    /// Queues the payload that `encode` writes as the next record and returns its offset and
    /// size at once. `encode` writes straight into the log's queue, under its lock: it must be
    /// quick and must not call back into the log. If it throws, nothing is appended.
    ///
    /// - Throws: `.invalidArgument` for a payload of 4 GiB or more or a throwing `encode`,
    ///   `.closed` after `close`, or the I/O error that failed the log.
    ///
    /// With `wakingWriter: false` the writer is not woken for the record: the caller groups
    /// records and wakes it once for the group (``wakeWriter()``, or any wait or flush), so one
    /// write and one fsync cover them all instead of the first record's round starting alone.
    @discardableResult
    public func append<E: Error>(
        wakingWriter: Bool = true, encoding encode: (inout BSATNWriter) throws(E) -> Void
    ) throws(CommitlogError) -> (offset: UInt64, size: Int) {
        try core.append(wakingWriter: wakingWriter, encode)
    }

    /// Wakes the writer for records appended without waking it.
    public func wakeWriter() { core.wakeWriter() }

    /// Appends `payload` and returns its offset once it is durable (per the policy).
    @discardableResult
    public func appendAndWait(_ payload: [UInt8]) throws(CommitlogError) -> UInt64 {
        let offset = try append(payload)
        try core.waitUntilDurable(offset)
        return offset
    }

    /// The highest offset known fsynced (with `.off`, the highest written); nil before the first
    /// record of this writer is durable.
    public var durableOffset: UInt64? {
        let v = core.durablePlusOne.load(ordering: .acquiring)
        return v == 0 ? nil : v - 1
    }

    /// The offset the next appended record will get.
    public var nextOffset: UInt64 { core.sync.withLock { $0.nextOffset } }

    /// The last appended offset while it is not durable yet (per the policy); nil once everything
    /// appended is, or when nothing was appended since the log was opened.
    public var lastOffsetNotDurable: UInt64? {
        core.sync.withLock { s in
            guard s.nextOffset > s.startOffset else { return nil }
            let last = s.nextOffset - 1
            return core.durable(s).map { $0 >= last } ?? false ? nil : last
        }
    }

    /// Blocks until `offset` is durable (per the policy).
    ///
    /// - Throws: `.invalidArgument` if `offset` was never appended, or the error that failed the log.
    public func waitUntilDurable(_ offset: UInt64) throws(CommitlogError) { try core.waitUntilDurable(offset) }

    /// Writes and fsyncs everything appended so far (whatever the policy), then returns.
    public func flush() throws(CommitlogError) { try core.flush(closing: false) }

    /// Flushes, stops the writer thread and closes the segment. Later appends fail with `.closed`.
    /// - Throws: the error that failed the log, if any.
    public func close() throws(CommitlogError) { try core.flush(closing: true) }
}

/// Passes a non-Sendable value to the writer thread, which becomes its only user.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The state shared by committers and the writer thread.
struct WriterState {
    /// The offset the next append gets.
    var nextOffset: UInt64
    /// The offset the writer started at (nothing below it was appended by this writer).
    let startOffset: UInt64
    /// Payloads appended but not yet taken by the writer: offsets `nextOffset - pending.count ..< nextOffset`.
    var pending = PendingRecords()
    /// Highest offset written.
    var written: UInt64?
    /// Highest offset fsynced.
    var synced: UInt64?
    /// Highest offset `flush`/`close` wants fsynced.
    var syncTarget: UInt64?
    var failure: CommitlogError?
    var closing = false
    var writerExited = false

    var syncPending: Bool {
        guard let t = syncTarget else { return false }
        return synced.map { t > $0 } ?? true
    }
}

/// A pthread mutex with two condition variables guarding a `WriterState`.
final class WriterSync: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Signalled when the writer has work (records, a sync request, closing).
    let work = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Broadcast when a round finished, the log failed or the writer exited.
    let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Only accessed with the mutex held.
    private var state: WriterState

    init(_ state: WriterState) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(work, nil)
        pthread_cond_init(done, nil)
    }

    deinit {
        pthread_cond_destroy(work)
        pthread_cond_destroy(done)
        pthread_mutex_destroy(mutex)
        work.deallocate()
        done.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the state, under the mutex.
    func withLock<R, E: Error>(_ body: (inout WriterState) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Under the mutex: waits on `cond` until `ready` holds, then runs `body`.
    func withLock<R, E: Error>(
        waitingOn cond: UnsafeMutablePointer<pthread_cond_t>, until ready: (WriterState) -> Bool,
        _ body: (inout WriterState) throws(E) -> R
    ) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !ready(state) { pthread_cond_wait(cond, mutex) }
        return try body(&state)
    }

    func signal(_ cond: UnsafeMutablePointer<pthread_cond_t>) { pthread_cond_signal(cond) }
    func broadcast(_ cond: UnsafeMutablePointer<pthread_cond_t>) { pthread_cond_broadcast(cond) }
}

/// Everything the writer thread and the `Commitlog` share; the thread keeps it alive.
final class CommitlogCore: Sendable {
    let storage: any SegmentStorage
    let policy: FsyncPolicy
    let maxSegmentSize: Int
    let sync: WriterSync
    /// The durable offset + 1 (0: none), for lock-free reads.
    let durablePlusOne = Atomic<UInt64>(0)
    /// Buffered bytes above which the writer writes before encoding more of a round.
    static let writeChunk = 8 << 20
    /// With the `batch` policy, the shortest time from one fsync's start to the next: commits
    /// arriving meanwhile share the next one. Without it the writer fsynced back to back, as
    /// often as the disk allowed; each fsync costs the kernel CPU time the database needs
    /// (~3 µs per transfer at 50k transfers/s on this VM). `batch` promises durability within
    /// a few milliseconds, which this keeps.
    static let batchSyncIntervalNanos: UInt64 = 2_000_000
    /// With `every-commit`, a round of at least ``pacedRoundRecords`` records after which as many
    /// more are already waiting — a pipelined load, whose callers already wait in queues — is
    /// followed by a pause so that rounds start at least this far apart: fewer, larger fsyncs,
    /// whose kernel CPU the database needs for the work itself. Rounds of 128 records or more
    /// were paced to 0.6 ms before; a load that fell below that (rounds of ~40 records fsynced
    /// back to back) stayed there, so 64 connections × 16 in flight ran 137–169k or 180k+ calls/s
    /// from run to run; now 160–190k. A load whose callers are all in one or two rounds (a
    /// single caller, 64 × 1) never waits for it.
    static let pacedRoundIntervalNanos: UInt64 = 800_000
    static let pacedRoundRecords = 32

    init(storage: any SegmentStorage, nextOffset: UInt64, policy: FsyncPolicy, maxSegmentSize: Int) {
        self.storage = storage
        self.policy = policy
        self.maxSegmentSize = maxSegmentSize
        sync = WriterSync(WriterState(nextOffset: nextOffset, startOffset: nextOffset))
    }

    func durable(_ s: WriterState) -> UInt64? { policy == .off ? s.written : s.synced }

    func append<E: Error>(
        wakingWriter: Bool = true, _ encode: (inout BSATNWriter) throws(E) -> Void
    ) throws(CommitlogError) -> (offset: UInt64, size: Int) {
        try sync.withLock { (s) throws(CommitlogError) -> (offset: UInt64, size: Int) in
            if let f = s.failure { throw f }
            if s.closing { throw CommitlogError(.closed, "the commitlog is closed") }
            let size = try s.pending.append(encode)
            let offset = s.nextOffset
            s.nextOffset += 1
            // The writer only waits with an empty queue.
            if wakingWriter && s.pending.count == 1 { sync.signal(sync.work) }
            return (offset, size)
        }
    }

    func wakeWriter() {
        sync.withLock { s in
            if !s.pending.isEmpty { sync.signal(sync.work) }
        }
    }

    func waitUntilDurable(_ offset: UInt64) throws(CommitlogError) {
        wakeWriter()  // records appended without waking the writer may be the ones awaited
        try sync.withLock(
            waitingOn: sync.done,
            until: { s in
                offset < s.startOffset || (durable(s).map { $0 >= offset } ?? false) || s.failure != nil
                    || s.writerExited || offset >= s.nextOffset
            }
        ) { (s) throws(CommitlogError) in
            // Offsets below the start were recovered from storage.
            if offset < s.startOffset { return }
            if let d = durable(s), d >= offset { return }
            if offset >= s.nextOffset {
                throw CommitlogError(.invalidArgument, "offset \(offset) was never appended (next is \(s.nextOffset))")
            }
            if let f = s.failure { throw f }
            throw CommitlogError(.closed, "the commitlog closed before offset \(offset) became durable")
        }
    }

    /// Writes and fsyncs everything appended; with `closing`, then stops the writer.
    func flush(closing: Bool) throws(CommitlogError) {
        let target: UInt64? = try sync.withLock { (s) throws(CommitlogError) -> UInt64? in
            if let f = s.failure { throw f }
            if s.closing && !closing { throw CommitlogError(.closed, "the commitlog is closed") }
            let target = s.nextOffset > s.startOffset ? s.nextOffset - 1 : nil
            if let target { s.syncTarget = max(s.syncTarget ?? 0, target) }
            if closing { s.closing = true }
            sync.signal(sync.work)
            return target
        }
        try sync.withLock(
            waitingOn: sync.done,
            until: { s in
                let flushed = target.map { t in s.synced.map { $0 >= t } ?? false } ?? true
                return s.failure != nil || s.writerExited || (!closing && flushed)
            }
        ) { (s) throws(CommitlogError) in
            if let f = s.failure { throw f }
            if !closing, s.writerExited, let t = target, !(s.synced.map { $0 >= t } ?? false) {
                throw CommitlogError(.closed, "the commitlog closed during flush")
            }
        }
    }

    /// Tells the writer to finish the queue and exit, without waiting (the log is being dropped).
    func shutdown() {
        sync.withLock { s in
            if s.nextOffset > s.startOffset { s.syncTarget = max(s.syncTarget ?? 0, s.nextOffset - 1) }
            s.closing = true
            sync.signal(sync.work)
        }
    }

    /// The writer thread's loop.
    func runWriter(appender initial: any SegmentAppender) {
        var appender = initial
        var buffer: [UInt8] = []
        // The round being written; swapped with the committers' queue, emptied, swapped back.
        var batch = PendingRecords()
        while true {
            batch.removeAll(keepBytes: 4 * Self.writeChunk)
            let (first, forceSync, stop) = sync.withLock(
                waitingOn: sync.work, until: { s in !s.pending.isEmpty || s.syncPending || s.closing }
            ) { s -> (UInt64, Bool, Bool) in
                if s.pending.isEmpty && !s.syncPending { return (0, false, true) }  // closing, all done
                swap(&batch, &s.pending)
                return (s.nextOffset - UInt64(batch.count), s.syncPending, false)
            }
            if stop { break }
            do {
                let roundStart = DispatchTime.now().uptimeNanoseconds
                try writeRound(batch, first: first, appender: &appender, buffer: &buffer)
                let synced = policy != .off || forceSync
                if synced { try appender.sync() }
                let waiting = sync.withLock { s in
                    if !batch.isEmpty { s.written = first + UInt64(batch.count) - 1 }
                    if synced { s.synced = s.written }
                    if let d = durable(s) { durablePlusOne.store(d + 1, ordering: .releasing) }
                    sync.broadcast(sync.done)
                    return s.pending.count
                }
                if synced && policy == .batch && !forceSync { Self.pause(since: roundStart, Self.batchSyncIntervalNanos) }
                if policy == .everyCommit && batch.count >= Self.pacedRoundRecords && waiting >= Self.pacedRoundRecords {
                    Self.pause(since: roundStart, Self.pacedRoundIntervalNanos)
                }
            } catch {
                sync.withLock { s in
                    s.failure = CommitlogError(
                        error.code, "the commitlog writer failed: \(error.message)", segment: error.segment)
                    sync.broadcast(sync.done)
                }
                break
            }
        }
        try? appender.close()
        sync.withLock { s in
            s.writerExited = true
            sync.broadcast(sync.done)
        }
    }

    /// Sleeps for what is left of `interval` since `start` (the writer, after a round; a flush or
    /// close request is served at most that much later).
    static func pause(since start: UInt64, _ interval: UInt64) {
        let elapsed = DispatchTime.now().uptimeNanoseconds &- start
        guard elapsed < interval else { return }
        usleep(useconds_t((interval - elapsed) / 1000))
    }

    /// Encodes `batch` (offsets from `first`) and appends it, rolling segments at the size limit.
    func writeRound(
        _ batch: PendingRecords, first: UInt64, appender: inout any SegmentAppender, buffer: inout [UInt8]
    ) throws(CommitlogError) {
        buffer.removeAll(keepingCapacity: true)
        var offset = first
        try batch.forEach { (payload) throws(CommitlogError) in
            let size = appender.size + buffer.count
            if size >= maxSegmentSize && size > CommitlogFormat.segmentHeaderSize {
                try write(&buffer, to: appender)
                try appender.sync()
                try appender.close()
                appender = try storage.createSegment(start: offset)
            }
            CommitlogFormat.appendRecord(offset: offset, payload: payload, to: &buffer)
            offset += 1
            if buffer.count >= Self.writeChunk { try write(&buffer, to: appender) }
        }
        try write(&buffer, to: appender)
        if buffer.capacity > 4 * Self.writeChunk { buffer = [] }  // do not hold on to a huge round's memory
    }

    func write(_ buffer: inout [UInt8], to appender: any SegmentAppender) throws(CommitlogError) {
        guard !buffer.isEmpty else { return }
        try buffer.withBytes { (b) throws(CommitlogError) in try appender.append(b) }
        buffer.removeAll(keepingCapacity: true)
    }
}
