import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Wraps a ``SegmentStorage`` and counts what the log does to it: writes, bytes, fsyncs and the
/// time fsyncs take (the figures `/metrics` and the benchmarks report, and tests use to observe
/// group commit).
public final class InstrumentedSegmentStorage: SegmentStorage {
    public let base: any SegmentStorage
    /// Sleeps this long in every fsync (to simulate a slower disk in tests and benchmarks).
    public let artificialSyncDelayMicros: UInt32
    public let writes = Atomic<Int>(0)
    public let bytesWritten = Atomic<Int>(0)
    public let syncs = Atomic<Int>(0)
    /// Total time spent in segment fsyncs.
    public let syncNanoseconds = Atomic<Int>(0)

    public init(_ base: any SegmentStorage, artificialSyncDelayMicros: UInt32 = 0) {
        self.base = base
        self.artificialSyncDelayMicros = artificialSyncDelayMicros
    }

    final class Appender: SegmentAppender {
        let base: any SegmentAppender
        let owner: InstrumentedSegmentStorage
        init(_ base: any SegmentAppender, _ owner: InstrumentedSegmentStorage) {
            self.base = base
            self.owner = owner
        }
        var size: Int { base.size }
        func append(_ bytes: UnsafeRawBufferPointer) throws(CommitlogError) {
            owner.writes.add(1, ordering: .relaxed)
            owner.bytesWritten.add(bytes.count, ordering: .relaxed)
            try base.append(bytes)
        }
        func sync() throws(CommitlogError) {
            let clock = ContinuousClock()
            let start = clock.now
            if owner.artificialSyncDelayMicros > 0 { usleep(owner.artificialSyncDelayMicros) }
            try base.sync()
            let elapsed = clock.now - start
            owner.syncs.add(1, ordering: .relaxed)
            owner.syncNanoseconds.add(
                Int(elapsed.components.seconds) * 1_000_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000),
                ordering: .relaxed)
        }
        func close() throws(CommitlogError) { try base.close() }
    }

    public func listSegments() throws(CommitlogError) -> [UInt64] { try base.listSegments() }
    public func createSegment(start: UInt64) throws(CommitlogError) -> any SegmentAppender {
        Appender(try base.createSegment(start: start), self)
    }
    public func openForAppend(start: UInt64) throws(CommitlogError) -> any SegmentAppender {
        Appender(try base.openForAppend(start: start), self)
    }
    public func readSegment(start: UInt64) throws(CommitlogError) -> [UInt8] { try base.readSegment(start: start) }
    public func segmentSize(start: UInt64) throws(CommitlogError) -> Int { try base.segmentSize(start: start) }
    public func withSegmentBytes<R>(start: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try base.withSegmentBytes(start: start, body)
    }
    public func truncateSegment(start: UInt64, length: Int) throws(CommitlogError) {
        try base.truncateSegment(start: start, length: length)
    }
    public func removeSegment(start: UInt64) throws(CommitlogError) { try base.removeSegment(start: start) }
    public func syncDirectory() throws(CommitlogError) { try base.syncDirectory() }
}
