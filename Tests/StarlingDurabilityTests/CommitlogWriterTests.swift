import Foundation
import StarlingTypes
import Synchronization
import Testing

@testable import StarlingDurability

/// The writer: concurrency, group commit, fsync policies, failures.
struct CommitlogWriterTests {
    /// The payload thread `t` appends as its `seq`-th record: t, seq (u32 LE), then `seq % 13` filler bytes.
    static func payload(thread t: Int, seq: Int) -> [UInt8] {
        [UInt8(t)] + withUnsafeBytes(of: UInt32(seq).littleEndian, Array.init)
            + [UInt8](repeating: 0xAB, count: seq % 13)
    }

    /// Checks that `records` hold every (thread, seq) exactly once, each thread's in order.
    static func checkAllPresent(_ records: [(offset: UInt64, payload: [UInt8])], threads: Int, perThread: Int) {
        #expect(records.map(\.offset) == Array(0..<UInt64(threads * perThread)))
        var nextSeq = [Int](repeating: 0, count: threads)
        for r in records {
            let t = Int(r.payload[0])
            let seq = Int(r.payload[1]) | Int(r.payload[2]) << 8 | Int(r.payload[3]) << 16 | Int(r.payload[4]) << 24
            guard t < threads, seq == nextSeq[t] else {
                Issue.record("offset \(r.offset): thread \(t) seq \(seq), expected \(t < threads ? nextSeq[t] : -1)")
                return
            }
            #expect(r.payload == payload(thread: t, seq: seq))
            nextSeq[t] += 1
        }
        #expect(nextSeq == [Int](repeating: perThread, count: threads))
    }

    @Test(arguments: FsyncPolicy.allCases)
    func concurrentAppenders(policy: FsyncPolicy) throws {
        let storage = MemorySegmentStorage()
        let log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: policy, maxSegmentSize: 64 << 10)
        let threads = 8, perThread = 2_000
        let violations = Atomic<Int>(0), failures = Atomic<Int>(0)
        runThreads(threads) { t in
            for seq in 0..<perThread {
                do {
                    if policy == .everyCommit {
                        let o = try log.appendAndWait(Self.payload(thread: t, seq: seq))
                        let durable = log.durableOffset
                        if durable == nil || durable! < o { violations.add(1, ordering: .relaxed) }
                    } else {
                        try log.append(Self.payload(thread: t, seq: seq))
                    }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(violations.load(ordering: .relaxed) == 0 && failures.load(ordering: .relaxed) == 0)
        try log.close()
        #expect(log.durableOffset == UInt64(threads * perThread - 1))
        #expect(try storage.listSegments().count > 1)
        let (records, recovery) = try recoverAll(storage)
        #expect(recovery.warnings.isEmpty)
        Self.checkAllPresent(records, threads: threads, perThread: perThread)
    }

    @Test func groupCommitFsyncsFarFewerThanAppends() throws {
        // Every-commit with a 300 µs fsync: one fsync covers what queued during the previous one.
        let counting = CountingStorage(MemorySegmentStorage(), artificialSyncDelayMicros: 300)
        let log = try Commitlog(storage: counting, nextOffset: 0, fsyncPolicy: .everyCommit)
        runThreads(8) { t in
            for seq in 0..<300 { _ = try? log.appendAndWait(Self.payload(thread: t, seq: seq)) }
        }
        try log.close()
        let syncs = counting.syncs.load(ordering: .relaxed), writes = counting.writes.load(ordering: .relaxed)
        #expect(syncs * 2 < 2_400, "fsyncs: \(syncs) for 2400 appends")
        #expect(writes <= syncs + 1)  // one write per round
        Self.checkAllPresent(try recoverAll(counting).records, threads: 8, perThread: 300)

        // Batch: appends do not wait, so rounds (and fsyncs) are fewer still.
        let counting2 = CountingStorage(MemorySegmentStorage(), artificialSyncDelayMicros: 300)
        let log2 = try Commitlog(storage: counting2, nextOffset: 0, fsyncPolicy: .batch)
        runThreads(8) { t in for seq in 0..<2_000 { _ = try? log2.append(Self.payload(thread: t, seq: seq)) } }
        try log2.close()
        #expect(counting2.syncs.load(ordering: .relaxed) * 20 < 16_000)
    }

    @Test func recordsAppendedWithoutWakingTheWriterShareOneRound() throws {
        let counting = CountingStorage(MemorySegmentStorage())
        let log = try Commitlog(storage: counting, nextOffset: 0, fsyncPolicy: .everyCommit)
        func payloads(_ range: Range<Int>) throws {
            for seq in range {
                try log.append(wakingWriter: false) { w in Self.payload(thread: 0, seq: seq).withUnsafeBytes { w.writeRaw($0) } }
            }
        }
        Thread.sleep(forTimeInterval: 0.05)  // the writer is waiting for work (it takes what it finds queued)
        try payloads(0..<10)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(counting.syncs.load(ordering: .relaxed) == 0, "the writer waits for the group to end")
        #expect(log.durableOffset == nil)
        // A wait starts the round: one write and one fsync for the ten.
        try log.waitUntilDurable(9)
        #expect(counting.syncs.load(ordering: .relaxed) == 1)
        #expect(counting.writes.load(ordering: .relaxed) == 1)
        // So does waking the writer, for a group nobody waits for.
        try payloads(10..<15)
        log.wakeWriter()
        let deadline = Date().addingTimeInterval(5)
        while log.durableOffset != 14 && Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
        #expect(log.durableOffset == 14)
        #expect(counting.syncs.load(ordering: .relaxed) == 2)
        try log.close()
        Self.checkAllPresent(try recoverAll(counting).records, threads: 1, perThread: 15)
    }

    @Test func policiesAgainstACrash() throws {
        let payloads = (0..<100).map { testPayload($0, size: 50) }
        // every-commit: acknowledged means fsynced, so it survives a crash.
        var storage = MemorySegmentStorage()
        var log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .everyCommit)
        for p in payloads { try log.appendAndWait(p) }
        #expect(try recoverAll(crashedCopy(storage)).records.map(\.payload) == payloads)
        try log.close()

        // off: durable means written, not fsynced; a crash loses it...
        storage = MemorySegmentStorage()
        log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .off)
        for p in payloads { try log.appendAndWait(p) }
        #expect(log.durableOffset == 99)
        #expect(try storage.readSegment(start: 0).count == 16 + 100 * 70)
        #expect(try recoverAll(crashedCopy(storage)).records.isEmpty)
        // ...unless flushed.
        try log.flush()
        #expect(try recoverAll(crashedCopy(storage)).records.count == 100)
        try log.close()

        // batch: durable after the writer's round.
        storage = MemorySegmentStorage()
        log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .batch)
        let o = try log.append(payloads[0])
        try log.waitUntilDurable(o)
        #expect(try recoverAll(crashedCopy(storage)).records.count == 1)
        try log.close()

        // MemorySegmentStorage.crash drops unsynced bytes in place.
        storage = MemorySegmentStorage()
        storage.setBytes(CommitlogFormat.segmentHeader, of: 0)
        let a = try storage.openForAppend(start: 0)
        try [UInt8](repeating: 1, count: 10).withUnsafeBytes { (b) throws in try a.append(b) }
        storage.crash()
        #expect(storage.bytes(of: 0) == CommitlogFormat.segmentHeader)
    }

    @Test func ioErrorsSurfaceToWaitersAndLaterCalls() throws {
        let storage = MemorySegmentStorage()
        let log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .everyCommit)
        let first = try log.appendAndWait([1])
        storage.setFailure(CommitlogError(.io, "disk on fire"))
        var e = expectCommitlogError { _ = try log.appendAndWait([2]) }
        #expect(e?.code == .io && e?.message.contains("disk on fire") == true)
        e = expectCommitlogError { _ = try log.append([3]) }
        #expect(e?.code == .io)
        try log.waitUntilDurable(first)  // already durable before the failure
        #expect(expectCommitlogError { try log.flush() }?.code == .io)
        #expect(expectCommitlogError { try log.close() }?.code == .io)
        storage.setFailure(nil)
        // The log holds exactly what was acknowledged.
        #expect(try recoverAll(storage).records.map(\.payload) == [[1]])
    }

    @Test func ioErrorDuringSegmentRoll() throws {
        let storage = MemorySegmentStorage()
        let log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .batch, maxSegmentSize: 100)
        try log.appendAndWait(testPayload(1, size: 100))
        storage.setFailure(CommitlogError(.io, "no space left"))
        #expect(expectCommitlogError { _ = try log.appendAndWait([1]) }?.code == .io)
        #expect(expectCommitlogError { try log.close() }?.code == .io)
    }

    @Test func misuse() throws {
        let storage = MemorySegmentStorage()
        let log = try Commitlog(storage: storage, nextOffset: 10, fsyncPolicy: .batch)
        #expect(log.durableOffset == nil && log.nextOffset == 10)
        #expect(expectCommitlogError { try log.waitUntilDurable(10) }?.code == .invalidArgument)
        try log.waitUntilDurable(3)  // before this writer: recovered, returns at once
        try log.flush()  // nothing to flush
        #expect(try log.append([]) == 10)
        try log.close()
        try log.close()  // idempotent
        #expect(expectCommitlogError { _ = try log.append([1]) }?.code == .closed)
        #expect(expectCommitlogError { try log.flush() }?.code == .closed)
        #expect(try recoverAll(storage).records.map(\.offset) == [10])
    }

    /// Payloads encoded straight into the queue; one whose encoder fails leaves no trace.
    @Test func appendEncodingWritesInPlaceAndAFailedEncodeAppendsNothing() throws {
        struct Refused: Error {}
        let storage = MemorySegmentStorage()
        let log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .batch, maxSegmentSize: 4 << 10)
        var expected: [[UInt8]] = []
        for i in 0..<300 {
            let payload = testPayload(UInt64(i), size: i % 40)
            if i % 7 == 3 {
                let e = expectCommitlogError {
                    _ = try log.append { (w) throws(Refused) in
                        payload.withUnsafeBytes { w.writeRaw($0) }  // half-written, then refused
                        throw Refused()
                    }
                }
                #expect(e?.code == .invalidArgument)
                continue
            }
            let (offset, size) = try log.append { w in payload.withUnsafeBytes { w.writeRaw($0) } }
            #expect(offset == UInt64(expected.count) && size == payload.count)
            expected.append(payload)
        }
        try log.close()
        let records = try recoverAll(storage).records
        #expect(records.map(\.offset) == Array(0..<UInt64(expected.count)))
        #expect(records.map(\.payload) == expected)
        #expect(try storage.listSegments().count > 1)  // segments rolled in the middle of a round
    }

    @Test func droppingTheLogWithoutCloseStillWritesTheQueue() throws {
        let storage = MemorySegmentStorage()
        do {
            let log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .off)
            for i in 0..<50 { try log.append([UInt8(i)]) }
        }
        // The writer thread drains the queue, fsyncs and exits on its own.
        for _ in 0..<500 where (try? storage.readSegment(start: 0).count) != 16 + 50 * 21 { usleep(2_000) }
        #expect(try recoverAll(storage).records.count == 50)
    }

    @Test func fileStorageConcurrentEveryCommit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-commitlog-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let storage = try FileSegmentStorage(directory: dir)
        let log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .everyCommit, maxSegmentSize: 2_000)
        runThreads(4) { t in for seq in 0..<50 { _ = try? log.appendAndWait(Self.payload(thread: t, seq: seq)) } }
        try log.close()
        #expect(try storage.listSegments().count > 2)
        Self.checkAllPresent(try recoverAll(storage).records, threads: 4, perThread: 50)
    }
}
