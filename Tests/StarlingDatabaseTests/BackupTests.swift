import Foundation
import StarlingDatabase
import StarlingDurability
import StarlingStore
import StarlingTypes
import Testing

/// Online backup: the copy runs while another thread keeps committing; restoring it (opening the
/// copy) gives a consistent state at least as new as the backup's snapshot.
struct BackupTests {
    /// Commits transaction `i`: kv(i, 7i) plus counter.n = i (so a half-applied one shows).
    static func commit(_ db: Database, _ i: UInt64, kv: TableId, counter: TableId, pk: IndexId) throws {
        try db.write { tx throws(StoreError) in
            try tx.insert(kv, values: [.u64(i), .u64(i &* 7)])
            let row = AlgebraicValue.product([.u8(0), .u64(i)]).bsatn
            if i == 0 { try tx.insert(counter, row) } else { try tx.update(index: pk, row: row) }
        }
    }

    @Test func backupUnderConcurrentWritesRestoresConsistently() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("starling-backup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let db = try Database.open(directory: base + "/live", fsync: .batch, maxSegmentSize: 16 << 10)
        let (tables, _, _) = try db.write { tx throws(StoreError) in
            let counter = try tx.createTable(TableSchema(name: "counter", columns: [.init("id", .u8), .init("n", .u64)], primaryKey: 0))
            let kv = try tx.createTable(TableSchema(name: "kv", columns: [.init("k", .u64), .init("v", .u64)], primaryKey: 0))
            return (kv, counter, try tx.indexId(columns: ["id"], table: counter)!)
        }
        let lock = NSLock()
        let shared = UncheckedDatabase(db)
        for i in 0..<2_000 { try Self.commit(db, UInt64(i), kv: tables.0, counter: tables.1, pk: tables.2) }
        // A writer thread keeps committing while the backup copies.
        let done = DispatchSemaphore(value: 0)
        let stop = Stop()
        let writer = Thread {
            var i: UInt64 = 2_000
            while !stop.value {
                lock.lock()
                try? Self.commit(shared.db, i, kv: tables.0, counter: tables.1, pk: tables.2)
                lock.unlock()
                i += 1
            }
            done.signal()
        }
        writer.start()
        lock.lock()
        let plan = try db.prepareBackup()
        lock.unlock()
        try plan.copy(to: base + "/backup")
        stop.value = true
        done.wait()
        try db.close()

        let restored = try Database.open(directory: base + "/backup")
        defer { try? restored.close() }
        #expect(restored.recovery.snapshotOffset == plan.snapshotOffset)
        let (keys, n) = try restored.store.read { tx in
            var keys: [UInt64] = []
            try tx.scan(tables.0) { _, row in
                keys.append(row.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                #expect(row.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == keys.last! &* 7)
                return true
            }
            var n: UInt64 = 0
            try tx.scan(tables.1) { _, row in
                n = row.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
                return false
            }
            return (keys.sorted(), n)
        }
        #expect(keys == Array(0...n), "restored state is a consistent prefix")
        #expect(n >= 1_999, "the backup holds at least everything committed before it started")
    }

    @Test func snapshotsAreTakenAutomatically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-auto-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Database.open(directory: dir, fsync: .batch, maxSegmentSize: 4 << 10)
        db.snapshotEvery = 100
        let (t, _, _) = try db.write { tx throws(StoreError) in
            try tx.createTable(TableSchema(name: "kv", columns: [.init("k", .u64)], primaryKey: 0))
        }
        // Snapshots are written in the background; one that is due while another is being
        // written waits for a later commit, so their offsets depend on timing.
        let finished = Finished()
        db.onSnapshotFinished = { finished.add($0) }
        for i in 0..<450 { try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u64(UInt64(i))]) } }
        try db.close()
        #expect(db.snapshotFailure == nil)
        let started = try finished.results.map { try $0.get().offset }
        #expect(started.first == 100, "the first is due after 100 transactions")
        #expect(zip(started, started.dropFirst()).allSatisfy { $1 >= $0 + 100 }, "at most one per 100 transactions: \(started)")
        #expect(db.lastSnapshotOffset == started.last)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/snapshots")
        #expect(files.count == min(2, started.count), "retention keeps two: \(files)")
        let reopened = try Database.open(directory: dir)
        defer { try? reopened.close() }
        #expect(reopened.recovery.snapshotOffset == started.last)
        #expect(try reopened.store.read { tx in try tx.rowCount(t) } == 450)
    }
}

extension BackupTests {
    @Test func snapshotsAreTakenByLogVolume() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-bytes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Database.open(directory: dir, fsync: .batch)
        db.snapshotEveryBytes = 20_000
        let (t, _, _) = try db.write { tx throws(StoreError) in
            try tx.createTable(TableSchema(name: "blob", columns: [.init("k", .u64), .init("data", .bytes)], primaryKey: 0))
        }
        // 1 KiB rows: a snapshot about every 19 transactions.
        for i in 0..<100 {
            try db.write { tx throws(StoreError) in
                try tx.insert(t, values: [.u64(UInt64(i)), .bytes([UInt8](repeating: 7, count: 1024))])
            }
        }
        try db.close()
        #expect(db.lastSnapshotOffset >= 19, "a snapshot was taken once 20,000 bytes were logged (\(db.lastSnapshotOffset))")
        #expect(db.snapshotFailure == nil)
        let reopened = try Database.open(directory: dir)
        defer { try? reopened.close() }
        #expect(try reopened.store.read { tx in try tx.rowCount(t) } == 100)
    }
}

/// Lets the writer thread use the database under the test's lock.
final class UncheckedDatabase: @unchecked Sendable {
    let db: Database
    init(_ db: Database) { self.db = db }
}

/// Collects what ``Database/onSnapshotFinished`` reports (on the snapshot thread).
final class Finished: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [Result<SnapshotStats, DatabaseError>] = []
    func add(_ r: Result<SnapshotStats, DatabaseError>) {
        lock.lock()
        all.append(r)
        lock.unlock()
    }
    var results: [Result<SnapshotStats, DatabaseError>] {
        lock.lock()
        defer { lock.unlock() }
        return all
    }
}

final class Stop: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool {
        get {
            lock.lock()
            defer { lock.unlock() }
            return flag
        }
        set {
            lock.lock()
            flag = newValue
            lock.unlock()
        }
    }
}
