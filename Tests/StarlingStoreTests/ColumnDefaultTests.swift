import StarlingTypes
import Testing

@testable import StarlingStore

/// Columns appended with a default (`MutTx.addColumns(_:_:defaults:)`): existing rows receive the
/// default, `st_column_default` records it, and log replay and snapshots rebuild the same rows;
/// logs and snapshots written before defaults existed still load.
struct ColumnDefaultTests {
    static let added: [ColumnSchema] = [
        .init("level", .u32), .init("title", .string), .init("flag", .bool), .init("badge", .option(.string)),
    ]
    static let defaults: [String: AlgebraicValue] = [
        "level": .u32(1), "title": .string("rookie"), "badge": .option(.string("new")),
    ]
    /// What every existing row receives: the defaults, and `false` for `flag`, which has none.
    static let filled: [AlgebraicValue] = [.u32(1), .string("rookie"), .bool(false), .option(.string("new"))]

    /// A store with 20 players, then a migration with defaults, then rows of the new width.
    static func history(_ db: Datastore) throws -> [TxDelta] {
        var deltas: [TxDelta] = []
        var t: TableId = 0
        deltas.append(try db.write { tx throws(StoreError) in t = try tx.createTable(playerSchema()) }.delta)
        deltas.append(
            try db.write { tx throws(StoreError) in
                for i in 0..<20 { try tx.insert(t, values: player(0, "p\(i)", Float(i))) }
            }.delta)
        deltas.append(try db.write { tx throws(StoreError) in try tx.addColumns(t, Self.added, defaults: Self.defaults) }.delta)
        deltas.append(
            try db.write { tx throws(StoreError) in
                try tx.insert(t, values: player(0, "late", 1) + [.u32(7), .string("pro"), .bool(true), .option(nil)])
                try tx.addIndex(t, IndexSchema(name: "player_level", columns: [4, 0]))
            }.delta)
        return deltas
    }

    @Test func existingRowsGetTheDefaultsAndTheMigrationRecordsThem() throws {
        let live = Datastore()
        let deltas = try Self.history(live)
        let t = try live.read { tx in try tx.tableId("player") }
        let rows = try live.read { tx in try rowValues(tx, t) }
        #expect(rows.count == 21)
        #expect(rows.filter { Array($0.dropFirst(4)) == Self.filled }.count == 20)
        // The migration's delta: four st_column rows and three st_column_default rows, no user rows.
        let migration = deltas[2]
        #expect(migration.tables.map(\.tableId) == [SystemTables.stColumn, SystemTables.stColumnDefault])
        let recorded = try live.read { tx in try rowValues(tx, SystemTables.stColumnDefault) }
        #expect(
            Set(recorded) == [
                [.u32(t), .u16(4), .string("1"), .bytes(AlgebraicValue.u32(1).bsatn)],
                [.u32(t), .u16(5), .string("\"rookie\""), .bytes(AlgebraicValue.string("rookie").bsatn)],
                [.u32(t), .u16(7), .string("\"new\""), .bytes(AlgebraicValue.option(.string("new")).bsatn)],
            ])
        // The index added over the migrated rows sees the defaults.
        try live.read { tx throws in
            let level = try tx.indexId("player_level", table: t)
            #expect(try tx.seekRows(level, IndexKey([.u32(1)])).count == 20)
        }
    }

    @Test func replayAndSnapshotRebuildTheSameRows() throws {
        let live = Datastore()
        let deltas = try Self.history(live)
        let (fromDeltas, fromPayloads) = try MigrationReplayTests.replayBothWays(deltas)
        try MigrationReplayTests.expectSameState(live, fromDeltas, "replay(_:)")
        try MigrationReplayTests.expectSameState(live, fromPayloads, "replay(payload:)")
        let fromSnapshot = Datastore()
        try fromSnapshot.load(snapshot: try MigrationReplayTests.snapshot(live))
        try MigrationReplayTests.expectSameState(live, fromSnapshot, "snapshot")
        // A snapshot of the replica, then the log suffix on top, also agrees.
        let mixed = Datastore()
        let early = Datastore()
        for d in deltas.prefix(2) { try early.replay(d) }
        try mixed.load(snapshot: try MigrationReplayTests.snapshot(early))
        for d in deltas.dropFirst(2) { try mixed.replay(d) }
        try MigrationReplayTests.expectSameState(live, mixed, "snapshot + log suffix")
    }

    /// Logs written before defaults existed carry only `st_column` rows for a migration (exactly
    /// what a migration without defaults still writes): they replay with zero values.
    @Test func migrationRecordsWithoutDefaultsStillReplay() throws {
        let live = Datastore()
        var deltas: [TxDelta] = []
        var t: TableId = 0
        deltas.append(try live.write { tx throws(StoreError) in t = try tx.createTable(playerSchema()) }.delta)
        deltas.append(
            try live.write { tx throws(StoreError) in for i in 0..<5 { try tx.insert(t, values: player(0, "p\(i)")) } }.delta)
        let migration = try live.write { tx throws(StoreError) in try tx.addColumns(t, Self.added) }.delta
        // The record as the previous version wrote it, by hand: one st_column row per new column.
        var inserts = RowList()
        for (i, c) in Self.added.enumerated() {
            inserts.append(bsatn([.u32(t), .u16(UInt16(4 + i)), .string(c.name), .string(c.type.description), .bytes(c.type.bsatn)]))
        }
        var old = TxDelta()
        old.tables.append(TableDelta(tableId: SystemTables.stColumn, tableName: "", inserts: inserts))
        #expect(migration.tables.map(\.tableId) == [SystemTables.stColumn])
        #expect(Set(rowArrays(migration.tables[0].inserts)) == Set(rowArrays(inserts)))
        let replica = Datastore()
        for d in deltas { try replica.replay(d) }
        let payload = CommitRecord(timestamp: Timestamp(microsSinceUnixEpoch: 1), delta: old).encode()
        try payload.withBytes { (b) throws(StoreError) in try replica.replay(payload: b) }
        let migrated = try replica.read { tx in try rowValues(tx, t) }
        #expect(migrated.count == 5)
        #expect(migrated.allSatisfy { Array($0.dropFirst(4)) == [.u32(0), .string(""), .bool(false), .option(nil)] })
        try MigrationReplayTests.expectSameState(live, replica, "old-format migration")
    }

    /// A snapshot written before `st_column_default` existed has no rows describing it: it loads.
    @Test func snapshotsWithoutTheDefaultsTableStillLoad() throws {
        let live = Datastore()
        let t = try live.write { tx throws(StoreError) in try tx.createTable(playerSchema()) }.value
        try insertRows(live, t, (0..<5).map { player(0, "p\($0)") })
        _ = try live.write { tx throws(StoreError) in try tx.addColumns(t, [.init("score", .i32)]) }
        var w = BSATNWriter()
        var tables: [(table: TableId, sections: [Range<Int>])] = []
        try live.read { tx throws in
            for (id, _) in try tx.tableNames() where id != SystemTables.stColumnDefault {
                let start = w.count
                var rows = try tx.rows(id)
                if id == SystemTables.stTable || id == SystemTables.stColumn {
                    // Drop the rows describing st_column_default (table_id is column 0 of both).
                    rows = rows.filter { Array($0.prefix(4)) != [5, 0, 0, 0] }
                }
                w.writeLength(rows.count)
                for r in rows { w.writeBytes(r) }
                tables.append((id, [start..<w.count]))
            }
        }
        let loaded = Datastore()
        try loaded.load(snapshot: SnapshotImage(buffer: w.bytes, tables: tables))
        try MigrationReplayTests.expectSameState(live, loaded, "old snapshot")
    }

    @Test func badDefaultsAreRefusedAndChangeNothing() throws {
        let (db, t) = try makeStore(playerSchema())
        try insertRows(db, t, [player(0, "a")])
        let before = try systemState(db)
        let tx = db.begin()
        let wrongType = expectStoreError(.invalidSchema) {
            try tx.addColumns(t, [.init("level", .u32)], defaults: ["level": .string("one")])
        }
        expectContains(wrongType?.message, "the default for column `level` is not a value of its type u32")
        let unknown = expectStoreError(.invalidSchema) {
            try tx.addColumns(t, [.init("level", .u32)], defaults: ["lvl": .u32(1)])
        }
        expectContains(unknown?.message, "a default is given for `lvl`, which is not an added column")
        expectStoreError(.invalidSchema) { try tx.addColumns(t, [.init("x2", .u8)], defaults: ["name": .string("n")]) }
        tx.rollback()
        #expect(try systemState(db) == before)
        #expect(try db.read { tx in try rowValues(tx, t) } == [player(1, "a")])
    }
}
