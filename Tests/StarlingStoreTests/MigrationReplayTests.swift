import StarlingTypes
import Testing

@testable import StarlingStore

/// Migrations must survive the commitlog and snapshots: replaying the committed deltas (as
/// `TxDelta`s and as commit payloads) and loading a snapshot rebuild the same rows and schemas.
struct MigrationReplayTests {
    /// Every table's schema and rows (multisets of BSATN), by id, system tables included.
    static func image(_ db: Datastore) throws -> [TableId: (TableSchema, [[UInt8]: Int])] {
        try db.read { tx throws in
            var out: [TableId: (TableSchema, [[UInt8]: Int])] = [:]
            for (id, _) in try tx.tableNames() { out[id] = (try tx.schema(id), multiset(try tx.rows(id))) }
            return out
        }
    }

    static func expectSameState(_ a: Datastore, _ b: Datastore, _ what: String) throws {
        let x = try image(a)
        let y = try image(b)
        #expect(x.keys.sorted() == y.keys.sorted(), "\(what): tables differ")
        for (id, (schema, rows)) in x {
            #expect(y[id]?.0 == schema, "\(what): schema of table \(id)")
            #expect(y[id]?.1 == rows, "\(what): rows of table \(id)")
        }
        #expect(a.nextIndexId == b.nextIndexId && a.nextConstraintId == b.nextConstraintId, "\(what): id counters")
        #expect(a.nextTableId == b.nextTableId, "\(what): table ids")
    }

    /// A snapshot image of `db` as `StarlingDatabase` writes one: per table (ascending ids), one
    /// row list section.
    static func snapshot(_ db: Datastore) throws -> SnapshotImage {
        var w = BSATNWriter()
        var tables: [(table: TableId, sections: [Range<Int>])] = []
        try db.read { tx throws in
            for (id, _) in try tx.tableNames() {
                let start = w.count
                let rows = try tx.rows(id)
                w.writeLength(rows.count)
                for r in rows { w.writeBytes(r) }
                tables.append((id, [start..<w.count]))
            }
        }
        return SnapshotImage(buffer: w.bytes, tables: tables)
    }

    /// Applies a history of transactions with migrations to a store; returns the committed deltas.
    static func history(_ db: Datastore) throws -> [TxDelta] {
        var deltas: [TxDelta] = []
        func commit(_ body: (MutTx) throws(StoreError) -> Void) throws {
            deltas.append(try db.write(body).delta)
        }
        var players: TableId = 0
        var items: TableId = 0
        try commit { tx throws(StoreError) in
            players = try tx.createTable(playerSchema())
            items = try tx.createTable(itemSchema())
        }
        try commit { tx throws(StoreError) in
            for i in 0..<40 { try tx.insert(players, values: player(0, "p\(i)", Float(i % 7))) }
            for i in 0..<60 { try tx.insert(items, values: item(UInt32(i), "t\(i % 6)", Int64(i % 4))) }
        }
        // addIndex, non-unique and unique, alone in a transaction.
        try commit { tx throws(StoreError) in
            try tx.addIndex(items, IndexSchema(name: "", columns: [1]))
            try tx.addIndex(players, IndexSchema(name: "player_y_x", columns: [3, 2], algorithm: .btree))
        }
        // addColumns, then rows of the new width in the same transaction (and a delete of a migrated row).
        try commit { tx throws(StoreError) in
            try tx.addColumns(players, [.init("score", .i32), .init("tags", .array(.string))])
            try tx.insert(players, values: player(0, "late", 1) + [.i32(9), .array([.string("x")])])
            try tx.delete(players, row: bsatn(player(2, "p1", 1) + [.i32(0), .array([])]))
        }
        // A rolled-back migration leaves nothing in the log.
        let rolledBack = db.begin()
        try rolledBack.addColumns(items, [.init("lost", .u8)])
        try rolledBack.addIndex(items, IndexSchema(name: "lost_idx", columns: [0], isUnique: true))
        rolledBack.rollback()
        // Deleting duplicates, then a unique index on the remaining rows (replay must build it
        // over the final rows), then inserts checked by it.
        try commit { tx throws(StoreError) in
            try tx.clear(items)
            for i in 0..<10 { try tx.insert(items, values: item(UInt32(i), "u\(i)", Int64(i))) }
            try tx.addIndex(items, IndexSchema(name: "", columns: [2], algorithm: .hash, isUnique: true))
            try tx.insert(items, values: item(100, "u100", 100))
        }
        // addColumns and addIndex together, on a table with a unique index added by a migration.
        try commit { tx throws(StoreError) in
            try tx.addColumns(items, [.init("flag", .bool), .init("note", .option(.string))])
            try tx.addIndex(items, IndexSchema(name: "item_flag", columns: [3, 0]))
            try tx.insert(items, values: item(200, "v", 200) + [.bool(true), .option(.string("n"))])
        }
        // A table created and migrated in the same transaction.
        try commit { tx throws(StoreError) in
            let e = try tx.createTable(TableSchema(name: "event", columns: [.init("at", .timestamp)]))
            try tx.insert(e, values: [.timestamp(Timestamp(microsSinceUnixEpoch: 5))])
            try tx.addIndex(e, IndexSchema(name: "event_at", columns: [0], isUnique: true))
        }
        try commit { tx throws(StoreError) in
            let e = try tx.tableId("event")
            try tx.addColumns(e, [.init("kind", .sum(SumType([.init("a"), .init("b", .u32)])))])
            try tx.insert(e, values: [.timestamp(Timestamp(microsSinceUnixEpoch: 6)), .sum(tag: 1, value: .u32(3))])
            for i in 0..<5 { try tx.insert(players, values: player(0, "q\(i)", 2) + [.i32(Int32(i)), .array([])]) }
        }
        return deltas
    }

    /// Two fresh stores rebuilt from `deltas`: one through `replay(_:)`, one through
    /// `replay(payload:)` of each delta's encoded commit record.
    static func replayBothWays(_ deltas: [TxDelta]) throws -> (fromDeltas: Datastore, fromPayloads: Datastore) {
        let fromDeltas = Datastore()
        let fromPayloads = Datastore()
        for d in deltas {
            try fromDeltas.replay(d)
            let payload = CommitRecord(timestamp: Timestamp(microsSinceUnixEpoch: 1), delta: d).encode()
            try payload.withBytes { (b) throws(StoreError) in try fromPayloads.replay(payload: b) }
        }
        return (fromDeltas, fromPayloads)
    }

    @Test func replayOfMigrationsRebuildsTheSameState() throws {
        let live = Datastore()
        let deltas = try Self.history(live)
        // No delta rewrites user rows: the migrations' transactions only carry their own changes.
        #expect(deltas[2].tables.allSatisfy { $0.tableId < SystemTables.firstUserTableId })
        #expect(deltas[3].tables.first { $0.tableId >= SystemTables.firstUserTableId }?.inserts.count == 1)
        let (fromDeltas, fromPayloads) = try Self.replayBothWays(deltas)
        try Self.expectSameState(live, fromDeltas, "replay(_:)")
        try Self.expectSameState(live, fromPayloads, "replay(payload:)")
        // The replicas keep working like the live store: the replayed indexes are maintained and
        // enforced, and the next migration gets the same ids.
        for db in [live, fromDeltas, fromPayloads] {
            let items = try db.read { tx in try tx.tableId("item") }
            let dup = expectStoreError(.uniqueViolation) {
                try insertRows(db, items, [item(300, "w", 5) + [.bool(false), .option(nil)]])
            }
            expectContains(dup?.message, "item_n_idx_hash")
            try insertRows(db, items, [item(301, "t", 301) + [.bool(true), .option(nil)]])
            let (idx, _) = try db.write { tx throws(StoreError) in
                try tx.addIndex(items, IndexSchema(name: "", columns: [4], isUnique: false))
            }
            try db.read { tx throws in
                let flag = try tx.indexId("item_flag", table: items)
                #expect(try tx.seekRows(flag, IndexKey([.bool(true)])).count == 2)
                #expect(try tx.seekRows(idx, IndexKey(.option(nil))).count == 12)
            }
        }
        try Self.expectSameState(live, fromDeltas, "after more transactions")
        try Self.expectSameState(live, fromPayloads, "after more transactions")
    }

    @Test func snapshotAfterMigrationsLoadsBackIdentically() throws {
        let live = Datastore()
        _ = try Self.history(live)
        let loaded = Datastore()
        try loaded.load(snapshot: try Self.snapshot(live))
        try Self.expectSameState(live, loaded, "snapshot")
        // The loaded store accepts rows of the migrated width and finds them through migrated indexes.
        let players = try loaded.read { tx in try tx.tableId("player") }
        let (rid, _) = try loaded.write { tx throws(StoreError) in
            try tx.insert(players, values: player(0, "snap", 3, 4) + [.i32(1), .array([])])
        }
        try loaded.read { tx throws in
            let yx = try tx.indexId("player_y_x", table: players)
            let hits = try tx.seekRows(yx, IndexKey([.f32(4), .f32(3)]))
            #expect(hits == [try tx.row(players, rid)])
        }
    }

    @Test func replayRefusesAUniqueIndexOverDuplicates() throws {
        // A log whose unique index does not fit the rows (corrupt or hand-made) stops replay.
        let live = Datastore()
        let (t, create) = try live.write { tx throws(StoreError) in try tx.createTable(itemSchema()) }
        let (_, rows) = try live.write { tx throws(StoreError) in
            try tx.insert(t, values: item(1, "same"))
            try tx.insert(t, values: item(2, "same"))
        }
        let source = Datastore()
        let (_, index) = try source.write { tx throws(StoreError) in
            let t = try tx.createTable(itemSchema())
            try tx.addIndex(t, IndexSchema(name: "tag_key", columns: [1], isUnique: true))
        }
        let replica = Datastore()
        try replica.replay(create)
        try replica.replay(rows)
        // Keep only the rows describing the new index (the source created the table in the same
        // transaction): st_index and st_constraint.
        var migration = index
        migration.tables.removeAll { $0.tableId == SystemTables.stTable || $0.tableId == SystemTables.stColumn }
        #expect(migration.tables.map(\.tableId) == [SystemTables.stIndex, SystemTables.stConstraint])
        let e = expectStoreError(.uniqueViolation) { try replica.replay(migration) }
        expectContains(e?.message, "`tag_key`")
    }
}
