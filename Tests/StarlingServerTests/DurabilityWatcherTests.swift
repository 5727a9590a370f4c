import Foundation
import NIOCore
import NIOPosix
import StarlingDurability
import StarlingTypes
import Synchronization
import Testing

@testable import StarlingServer

/// The thread that waits for the commitlog on the worker's behalf: with `every-commit`, a batch's
/// frames leave only once the commits they report are durable, in the order the batches were parked.
@Suite struct DurabilityWatcherTests {
    @Test func parkedBatchesLeaveInOrderOnlyOnceDurable() throws {
        // Every fsync takes 0.4 s, so "not yet durable" lasts long enough to look at.
        let storage = InstrumentedSegmentStorage(MemorySegmentStorage(), artificialSyncDelayMicros: 400_000)
        let log = try Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .everyCommit)
        let wakes = Atomic<Int>(0)
        let watcher = DurabilityWatcher(log: log, name: "durable.test") { wakes.add(1, ordering: .relaxed) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let delivered = Mutex<[String]>([])
        func batch(_ tag: String) -> Outbox.SealedBatch {
            var outbox = Outbox(maxQueuedBytes: 1 << 20)
            outbox.run(on: loop) { delivered.withLock { $0.append(tag) } }
            return outbox.seal()!
        }
        func append() throws -> UInt64 {
            try log.append(wakingWriter: false) { $0.writeRaw([UInt8]([1, 2, 3])) }.offset
        }

        watcher.park(batch("a"), until: try append())
        watcher.park(batch("b"), until: try append())
        watcher.park(batch("c"), until: 0)  // no commit of its own, but it follows b
        watcher.request(1)
        #expect(watcher.parkedCount <= 3)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(delivered.withLock { $0 }.isEmpty, "nothing leaves before its commits are durable")
        #expect(log.durableOffset == nil)

        watcher.drain()
        try loop.submit {}.wait()  // the delivered tasks ran before this one
        #expect(log.durableOffset == 1)
        #expect(delivered.withLock { $0 } == ["a", "b", "c"])
        #expect(watcher.parkedCount == 0)
        #expect(wakes.load(ordering: .relaxed) == 1, "the requested wake came once offset 1 was durable")

        // With nothing parked, a batch whose commits are durable already leaves at the next look.
        watcher.park(batch("d"), until: 1)
        watcher.drain()
        try loop.submit {}.wait()
        #expect(delivered.withLock { $0 } == ["a", "b", "c", "d"])

        watcher.stop()
        try log.close()
        try group.syncShutdownGracefully()
    }

    @Test func aFailedLogStillReleasesWhatWaits() throws {
        let log = try Commitlog(storage: MemorySegmentStorage(), nextOffset: 0, fsyncPolicy: .everyCommit)
        let watcher = DurabilityWatcher(log: log, name: "durable.test") {}
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let delivered = Atomic<Int>(0)
        var outbox = Outbox(maxQueuedBytes: 1 << 20)
        outbox.run(on: loop) { delivered.add(1, ordering: .relaxed) }
        try log.close()
        // The log is closed: the wait for offset 5 ends at once and the batch goes out anyway.
        watcher.park(outbox.seal()!, until: 5)
        watcher.drain()
        try loop.submit {}.wait()
        #expect(delivered.load(ordering: .relaxed) == 1)
        watcher.stop()
        try group.syncShutdownGracefully()
    }
}
