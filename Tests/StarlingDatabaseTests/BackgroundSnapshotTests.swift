import Foundation
import StarlingDatabase
import StarlingDurability
import StarlingStore
import StarlingTypes
import Testing

/// Snapshots are written on a background thread from a copy-on-write capture: commits go on
/// while a big one is written, the file holds exactly the state at its offset, and everything
/// committed meanwhile is recovered from the log suffix.
struct BackgroundSnapshotTests {
    static let schema = TableSchema(
        name: "kv", columns: [.init("k", .u64), .init("v", .u64), .init("note", .string)], primaryKey: 0,
        indexes: [IndexSchema(name: "kv_v", columns: [1])])

    static func row(_ k: UInt64, _ v: UInt64) -> [UInt8] {
        AlgebraicValue.product([.u64(k), .u64(v), .string("n\(v % 97)")]).bsatn
    }

    /// Fills `kv` with `rows` rows (k, k).
    static func fill(_ db: Database, rows: Int) throws -> (table: TableId, pk: IndexId) {
        let (ids, _, _) = try db.write { tx throws(StoreError) in
            let t = try tx.createTable(Self.schema)
            return (t, try tx.indexId(columns: ["k"], table: t)!)
        }
        var k: UInt64 = 0
        while k < UInt64(rows) {
            try db.write { tx throws(StoreError) in
                for _ in 0..<10_000 where k < UInt64(rows) {
                    try tx.insert(ids.0, Self.row(k, k))
                    k += 1
                }
            }
        }
        return ids
    }

    /// One random change: update, delete or insert. Returns whether it changed anything (and so
    /// was logged).
    @discardableResult
    static func change(_ db: Database, _ ids: (table: TableId, pk: IndexId), _ rng: inout SplitMix64, next: inout UInt64) throws -> Bool {
        let choice = rng.next() % 4
        let k = rng.next() % next
        return try db.write { tx throws(StoreError) in
            switch choice {
            case 0:
                try tx.insert(ids.table, Self.row(next, next))
                next += 1
            case 1:
                try tx.delete(index: ids.pk, key: IndexKey(.u64(k)))
            default:
                var found = false
                try tx.seek(ids.pk, IndexKey(.u64(k))) { _, _ in
                    found = true
                    return false
                }
                if found { try tx.update(index: ids.pk, row: Self.row(k, rng.next() % 1_000_000)) }
            }
        }.offset != nil
    }

    @Test func commitsGoOnWhileABigSnapshotIsWrittenAndAllAreRecovered() throws {
        let dir = SnapshotTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Database.open(directory: dir, fsync: .batch, maxSegmentSize: 1 << 20)
        let ids = try Self.fill(db, rows: 300_000)
        let atSnapshot = try SnapshotTests.state(db.store)
        var rng = SplitMix64(seed: 3)
        var next: UInt64 = 300_000
        let job = try db.beginSnapshot()
        var commitsWhileWriting = 0
        var commits = 0
        var logged = 0
        while commits < 2_000 || job.result == nil {
            let writing = job.result == nil
            if try Self.change(db, ids, &rng, next: &next) { logged += 1 }
            if writing { commitsWhileWriting += 1 }
            commits += 1
        }
        #expect(commitsWhileWriting > 0, "commits ran while the snapshot was written")
        let stats = try job.wait().get()
        #expect(stats.rows == atSnapshot.values.reduce(0) { $0 + $1.values.reduce(0, +) })
        #expect(stats.writerHeld < stats.total)
        let expected = try SnapshotTests.state(db.store)
        try db.close()
        #expect(db.lastSnapshotOffset == job.offset)

        // The snapshot alone holds exactly the state at its offset (pages changed after the
        // capture were copied, not written in place).
        let only = dir + "-only"
        defer { try? FileManager.default.removeItem(atPath: only) }
        try FileManager.default.createDirectory(atPath: only + "/snapshots", withIntermediateDirectories: true)
        let name = String(repeating: "0", count: 20 - String(job.offset).count) + String(job.offset) + ".stsnap"
        try FileManager.default.copyItem(atPath: dir + "/snapshots/" + name, toPath: only + "/snapshots/" + name)
        let fromSnapshot = try Database.open(directory: only)
        #expect(try SnapshotTests.state(fromSnapshot.store) == atSnapshot)
        try fromSnapshot.close()

        // Snapshot + log suffix: every commit, including those made while it was written.
        let reopened = try Database.open(directory: dir)
        defer { try? reopened.close() }
        #expect(reopened.recovery.snapshotOffset == job.offset)
        #expect(reopened.recovery.nextOffset == job.offset + UInt64(logged), "every commit logged after the snapshot is there")
        #expect(try SnapshotTests.state(reopened.store) == expected)
    }

    @Test func aFailedSnapshotIsReportedAndTheDatabaseKeepsWorking() throws {
        let dir = SnapshotTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Database.open(directory: dir, fsync: .batch)
        let finished = Finished()
        db.onSnapshotFinished = { finished.add($0) }
        let ids = try Self.fill(db, rows: 1_000)
        // A file where the snapshot directory should be: the snapshot cannot be created.
        FileManager.default.createFile(atPath: dir + "/snapshots", contents: Data("x".utf8))
        #expect(throws: DatabaseError.self) { try db.snapshot() }
        #expect(db.snapshotFailure?.message.contains("snapshot") == true)
        guard case .failure(let reported)? = finished.results.first else {
            Issue.record("the failure was not reported: \(finished.results)")
            return
        }
        #expect(reported.message.contains("cannot create"))
        var rng = SplitMix64(seed: 1)
        var next: UInt64 = 1_000
        for _ in 0..<100 { try Self.change(db, ids, &rng, next: &next) }
        let expected = try SnapshotTests.state(db.store)
        try db.close()
        try FileManager.default.removeItem(atPath: dir + "/snapshots")
        let reopened = try Database.open(directory: dir)
        defer { try? reopened.close() }
        #expect(try SnapshotTests.state(reopened.store) == expected)
    }

    @Test func rollbackAfterACaptureLeavesTheCaptureUnchanged() throws {
        let dir = SnapshotTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Database.open(directory: dir, fsync: .batch)
        let ids = try Self.fill(db, rows: 20_000)
        let atSnapshot = try SnapshotTests.state(db.store)
        let job = try db.beginSnapshot()
        // A transaction that deletes and inserts (tombstones, flags), then rolls back.
        let tx = db.store.begin()
        for k in stride(from: UInt64(0), to: 20_000, by: 7) {
            try tx.delete(index: ids.pk, key: IndexKey(.u64(k)))
            try tx.insert(ids.table, Self.row(k + 1_000_000, k))
        }
        tx.rollback()
        try job.wait().get()
        try db.close()
        let only = dir + "-only"
        defer { try? FileManager.default.removeItem(atPath: only) }
        try FileManager.default.createDirectory(atPath: only, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/snapshots", toPath: only + "/snapshots")
        let fromSnapshot = try Database.open(directory: only)
        defer { try? fromSnapshot.close() }
        #expect(try SnapshotTests.state(fromSnapshot.store) == atSnapshot)
    }
}
