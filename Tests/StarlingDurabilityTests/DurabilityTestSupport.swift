import Foundation
import Synchronization
import Testing

@testable import StarlingDurability

/// A small deterministic generator (SplitMix64).
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// A payload of `size` bytes whose content depends on `seed` (so mix-ups are detected).
func testPayload(_ seed: UInt64, size: Int) -> [UInt8] {
    var rng = TestRNG(seed: seed)
    var out = [UInt8]()
    out.reserveCapacity(size)
    while out.count < size {
        let v = rng.next()
        for k in 0..<8 where out.count < size { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
    }
    return out
}

/// Recovers `storage`, collecting every record.
func recoverAll(
    _ storage: any SegmentStorage, progressInterval: Int = 64 << 20,
    progress: ((CommitlogReplayProgress) -> Void)? = nil
) throws -> (records: [(offset: UInt64, payload: [UInt8])], recovery: CommitlogRecovery) {
    var records: [(offset: UInt64, payload: [UInt8])] = []
    let reader = CommitlogReader(storage: storage, progressInterval: progressInterval)
    let recovery = try reader.recover(progress: progress) {
        records.append(($0, Array($1)))
    }
    return (records, recovery)
}

/// Runs `body(i)` on `count` new threads at once and waits for all of them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for i in 0..<count {
        let t = Thread {
            body(i)
            done.signal()
        }
        t.start()
    }
    for _ in 0..<count { done.wait() }
}

/// Counts writes and fsyncs (optionally making each fsync slower), to observe group commit.
typealias CountingStorage = InstrumentedSegmentStorage

/// Writes `payloads` through a fresh writer on `storage` and closes it.
@discardableResult
func writeLog(
    _ storage: any SegmentStorage, _ payloads: [[UInt8]], startOffset: UInt64 = 0, maxSegmentSize: Int = 256 << 20,
    policy: FsyncPolicy = .batch
) throws -> [UInt64] {
    let log = try Commitlog(
        storage: storage, nextOffset: startOffset, fsyncPolicy: policy, maxSegmentSize: maxSegmentSize)
    var offsets: [UInt64] = []
    for p in payloads { offsets.append(try log.append(p)) }
    try log.close()
    return offsets
}

/// Record boundaries (start positions, then the end) of a segment's bytes, assuming it is valid.
func recordBoundaries(_ bytes: [UInt8]) -> [Int] {
    var p = CommitlogFormat.segmentHeaderSize
    var out = [p]
    while p + 4 <= bytes.count {
        let n = Int(bytes[p]) | Int(bytes[p + 1]) << 8 | Int(bytes[p + 2]) << 16 | Int(bytes[p + 3]) << 24
        p += CommitlogFormat.recordOverhead + n
        out.append(p)
    }
    return out
}

/// A copy of `storage`'s segments in a fresh memory storage.
func copyStorage(_ storage: MemorySegmentStorage) throws -> MemorySegmentStorage {
    let copy = MemorySegmentStorage()
    for s in try storage.listSegments() { copy.setBytes(storage.bytes(of: s)!, of: s) }
    return copy
}

/// Expects `body` to throw a `CommitlogError` and returns it.
func expectCommitlogError(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> CommitlogError? {
    do {
        try body()
        Issue.record("expected a CommitlogError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let e as CommitlogError {
        return e
    } catch {
        Issue.record("expected a CommitlogError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// What `storage` would hold after a power loss now: each segment's synced prefix.
func crashedCopy(_ storage: MemorySegmentStorage) -> MemorySegmentStorage {
    let copy = MemorySegmentStorage()
    let segments = storage.state.withLock { $0.segments }
    for (start, seg) in segments { copy.setBytes(Array(seg.bytes[..<seg.synced]), of: start) }
    return copy
}
