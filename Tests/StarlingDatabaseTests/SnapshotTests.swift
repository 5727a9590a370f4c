import Foundation
import StarlingDatabase
import StarlingDurability
import StarlingStore
import StarlingTypes
import Testing

/// Snapshots + log suffix must rebuild exactly the state a full replay would; damaged snapshots
/// fall back to older ones; retention deletes the log the kept snapshots make unnecessary.
struct SnapshotTests {
    static func state(_ store: Datastore) throws -> [TableId: [[UInt8]: Int]] {
        try store.read { tx in
            var out: [TableId: [[UInt8]: Int]] = [:]
            for (id, _) in try tx.tableNames() {
                var m: [[UInt8]: Int] = [:]
                for r in try tx.rows(id) { m[r, default: 0] += 1 }
                out[id] = m
            }
            return out
        }
    }

    static let schema = TableSchema(
        name: "item", columns: [.init("id", .u64), .init("name", .string), .init("qty", .i32)], primaryKey: 0,
        indexes: [IndexSchema(name: "item_qty", columns: [2])], sequences: [SequenceSchema(name: "", column: 0)])

    /// Runs `count` random transactions (auto-increment inserts, deletes, updates).
    static func work(_ db: Database, _ table: TableId, _ rng: inout SplitMix64, count: Int) throws {
        let pk = try db.store.read { tx in try tx.indexId(columns: ["id"], table: table)! }
        for _ in 0..<count {
            let choice = rng.next() % 10
            let seed = rng.next()
            try db.write { tx throws(StoreError) in
                let empty = try tx.rowCount(table) == 0
                if choice < 6 || empty {
                    try tx.insert(table, values: [.u64(0), .string("n\(seed % 50)"), .i32(Int32(seed % 100))])
                } else {
                    var victim: (RowId, [UInt8])?
                    try tx.scan(table) { id, row in
                        victim = (id, Array(row))
                        return seed % 3 != 0
                    }
                    guard let (id, row) = victim else { return }
                    if choice < 8 {
                        try tx.delete(table, id)
                    } else {
                        var updated = row
                        updated[updated.count - 4] &+= 1
                        try tx.update(index: pk, row: updated)
                    }
                }
            }
        }
    }

    static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("starling-snap-\(UUID().uuidString)").path
    }

    @Test func snapshotPlusSuffixEqualsTheLiveState() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 11)
        let db = try Database.open(directory: dir, fsync: .batch, maxSegmentSize: 8 << 10)
        let table = try db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }.value
        var snapshots: [UInt64] = []
        for _ in 0..<5 {
            try Self.work(db, table, &rng, count: 150)
            snapshots.append(try db.snapshot())
        }
        try Self.work(db, table, &rng, count: 120)  // the suffix after the last snapshot
        let expected = try Self.state(db.store)
        try db.close()

        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/snapshots").sorted()
        #expect(files.count == 2, "retention keeps two snapshots: \(files)")
        let segments = try FileSegmentStorage(directory: dir + "/log").listSegments()
        #expect(segments.first! <= snapshots[3], "the log still covers the older kept snapshot")
        #expect(segments.first! > 0, "segments before the kept snapshots were deleted")

        let reopened = try Database.open(directory: dir)
        #expect(reopened.recovery.snapshotOffset == snapshots.last)
        #expect(try Self.state(reopened.store) == expected)
        // Numbering continues: a new insert gets an id no earlier row had.
        try Self.work(reopened, table, &rng, count: 20)
        try reopened.close()
    }

    @Test func damagedNewestSnapshotFallsBackToTheOlderOne() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 5)
        let db = try Database.open(directory: dir, fsync: .batch, maxSegmentSize: 8 << 10)
        let table = try db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }.value
        try Self.work(db, table, &rng, count: 100)
        let older = try db.snapshot()
        try Self.work(db, table, &rng, count: 100)
        let newer = try db.snapshot()
        try Self.work(db, table, &rng, count: 50)
        let expected = try Self.state(db.store)
        try db.close()

        // Flip one byte in the middle of the newest snapshot.
        let path = dir + "/snapshots/" + String(repeating: "0", count: 20 - String(newer).count) + String(newer) + ".stsnap"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let reopened = try Database.open(directory: dir)
        defer { try? reopened.close() }
        #expect(reopened.recovery.snapshotOffset == older)
        #expect(reopened.recovery.warnings.contains { $0.contains("skipping snapshot") && $0.contains("damaged") })
        #expect(try Self.state(reopened.store) == expected)
    }

    @Test func missingLogBeforeTheSnapshotsIsAnError() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 9)
        let db = try Database.open(directory: dir, fsync: .batch, maxSegmentSize: 4 << 10)
        let table = try db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }.value
        for _ in 0..<3 {
            try Self.work(db, table, &rng, count: 100)
            try db.snapshot()
        }
        try db.close()
        // Without any snapshot the remaining log does not start at the beginning.
        try FileManager.default.removeItem(atPath: dir + "/snapshots")
        #expect(throws: DatabaseError.self) { _ = try Database.open(directory: dir) }
    }

    @Test func snapshotWithoutLogContinuesAfterTheSnapshot() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 21)
        let db = try Database.open(directory: dir, fsync: .batch)
        let table = try db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }.value
        try Self.work(db, table, &rng, count: 80)
        let snap = try db.snapshot()
        try db.close()
        // Only the snapshot is left (say, a restore that copied just the snapshot).
        try FileManager.default.removeItem(atPath: dir + "/log")
        let reopened = try Database.open(directory: dir)
        #expect(reopened.recovery.nextOffset == snap)
        try Self.work(reopened, table, &rng, count: 30)
        let expected = try Self.state(reopened.store)
        try reopened.close()
        // The new transactions were logged after the snapshot, so they are replayed.
        let again = try Database.open(directory: dir)
        defer { try? again.close() }
        #expect(try Self.state(again.store) == expected)
    }
}
