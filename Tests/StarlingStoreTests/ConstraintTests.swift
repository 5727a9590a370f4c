import StarlingTypes
import Testing

@testable import StarlingStore

/// Unique constraints, set semantics, type checks, name lookups, read-only system tables,
/// schema validation and closed transactions.
struct ConstraintTests {
    /// id u64 (primary key), name string, v i32; no other index.
    static func pkSchema(_ name: String = "t") -> TableSchema {
        TableSchema(name: name, columns: [.init("id", .u64), .init("name", .string), .init("v", .i32)], primaryKey: 0)
    }

    // MARK: unique violations

    @Test func primaryKeyViolationNamesIndexTableAndKey() throws {
        let (db, t) = try makeStore(Self.pkSchema())
        try insertRows(db, t, [[.u64(1), .string("a"), .i32(1)]])
        let e = expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u64(1), .string("b"), .i32(2)]) }
        }
        expectContains(e?.message, "`t_id_idx_btree`")
        expectContains(e?.message, "table `t`")
        expectContains(e?.message, "id = 1")
        // The failed transaction left nothing behind.
        let rows = try db.read { tx in try rowValues(tx, t) }
        #expect(rows == [[.u64(1), .string("a"), .i32(1)]])
    }

    @Test func uniqueNonPrimaryColumnViolation() throws {
        let (db, t) = try makeStore(playerSchema())
        try insertRows(db, t, [player(1, "ann", 1, 1)])
        let e = expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: player(2, "ann", 5, 5)) }
        }
        expectContains(e?.message, "`player_name_idx_btree`")
        expectContains(e?.message, "table `player`")
        expectContains(e?.message, "name = \"ann\"")
        // Same name with a new auto-inc id: also a violation (the sequence does not help).
        expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: player(0, "ann")) }
        }
        #expect(try db.read { tx in try tx.rowCount(t) } == 1)
    }

    @Test func multiColumnUniqueConstraintOnlyRejectsTheWholePair() throws {
        let schema = TableSchema(
            name: "pair", columns: [.init("a", .u32), .init("b", .string), .init("c", .i32)],
            constraints: [ConstraintSchema(name: "", columns: [0, 1])])
        let (db, t) = try makeStore(schema)
        try insertRows(
            db, t,
            [
                [.u32(1), .string("x"), .i32(0)], [.u32(1), .string("y"), .i32(0)],
                [.u32(2), .string("x"), .i32(0)], [.u32(2), .string("y"), .i32(7)],
            ])
        #expect(try db.read { tx in try tx.rowCount(t) } == 4)
        let e = expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u32(1), .string("x"), .i32(5)]) }
        }
        expectContains(e?.message, "`pair_a_b_idx_btree`")
        expectContains(e?.message, "table `pair`")
        expectContains(e?.message, "a = 1, b = \"x\"")
        #expect(try db.read { tx in try tx.rowCount(t) } == 4)
    }

    @Test func updateIntoAnotherRowsUniqueKeyIsAViolation() throws {
        let (db, t) = try makeStore(playerSchema())
        try insertRows(db, t, [player(1, "ann"), player(2, "bob")])
        let pk = try db.read { tx in try tx.indexId("player_id_idx_btree", table: t) }
        let e = expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.update(index: pk, row: bsatn(player(2, "ann"))) }
        }
        expectContains(e?.message, "`player_name_idx_btree`")
        expectStoreError(.rowNotFound) {
            try db.write { tx throws(StoreError) in try tx.update(index: pk, row: bsatn(player(3, "cat"))) }
        }
        let x = try db.read { tx in try tx.indexId("player_x", table: t) }
        expectStoreError(.invalidBound, "update through a non-unique index") {
            try db.write { tx throws(StoreError) in try tx.update(index: x, row: bsatn(player(1, "ann"))) }
        }
        #expect(Set(try db.read { tx in try rowValues(tx, t) }) == [player(1, "ann"), player(2, "bob")])
    }

    // MARK: set semantics

    @Test func identicalRowTwiceIsANoOpWithUniqueIndexes() throws {
        // The player table has two unique indexes (name, then the primary key).
        let (db, t) = try makeStore(playerSchema())
        let (ids, delta) = try db.write { tx throws(StoreError) in
            let a = try tx.insert(t, values: player(5, "ann", 1, 2))
            let b = try tx.insert(t, values: player(5, "ann", 1, 2))
            return (a, b)
        }
        #expect(ids.0 == ids.1)
        #expect(delta[table: "player"]?.inserts.count == 1)
        // Again in a later transaction: no change, empty delta.
        let (id2, delta2) = try db.write { tx throws(StoreError) in try tx.insert(t, values: player(5, "ann", 1, 2)) }
        #expect(id2 == ids.0)
        #expect(delta2.isEmpty)
        #expect(try db.read { tx in try tx.rowCount(t) } == 1)
    }

    @Test func identicalRowTwiceIsANoOpWithOnlyThePrimaryKey() throws {
        let (db, t) = try makeStore(Self.pkSchema())
        let row: [AlgebraicValue] = [.u64(3), .string("c"), .i32(-1)]
        let (_, delta) = try db.write { tx throws(StoreError) in
            try tx.insert(t, values: row)
            try tx.insert(t, values: row)
        }
        #expect(delta[table: "t"]?.inserts.count == 1)
        #expect(try db.read { tx in try tx.rowCount(t) } == 1)
    }

    @Test func identicalRowTwiceIsANoOpWithoutUniqueIndexes() throws {
        let schema = TableSchema(
            name: "bag", columns: [.init("a", .u8), .init("b", .string)],
            indexes: [IndexSchema(name: "", columns: [0])])
        let (db, t) = try makeStore(schema)
        let (ids, delta) = try db.write { tx throws(StoreError) in
            let a = try tx.insert(t, values: [.u8(1), .string("x")])
            let b = try tx.insert(t, values: [.u8(1), .string("x")])
            try tx.insert(t, values: [.u8(1), .string("y")])  // same index key, different row
            return (a, b)
        }
        #expect(ids.0 == ids.1)
        #expect(delta[table: "bag"]?.inserts.count == 2)
        try insertRows(db, t, [[.u8(1), .string("x")]])
        #expect(try db.read { tx in try tx.rowCount(t) } == 2)
        let idx = try db.read { tx in try tx.indexId("bag_a_idx_btree", table: t) }
        #expect(try db.read { tx in try tx.seekRows(idx, IndexKey(.u8(1))) }.count == 2)
    }

    @Test func identicalRowIsStoredOnceInATableWithoutIndexes() throws {
        let (db, t) = try makeStore(TableSchema(name: "plain", columns: [.init("s", .string), .init("f", .f64)]))
        let row: [AlgebraicValue] = [.string("same"), .f64(1.5)]
        let (_, delta) = try db.write { tx throws(StoreError) in
            for _ in 0..<3 { try tx.insert(t, values: row) }
        }
        #expect(delta[table: "plain"]?.inserts.arrays == [bsatn(row)])
        try insertRows(db, t, [row, row])
        #expect(try db.read { tx in try tx.rowCount(t) } == 1)
        // -0.0 and 0.0 are different rows (bytes differ) when no index folds them.
        try insertRows(db, t, [[.string("z"), .f64(0.0)], [.string("z"), .f64(-0.0)]])
        #expect(try db.read { tx in try tx.rowCount(t) } == 3)
        // Deleting by value removes the one copy.
        let (deleted, _) = try db.write { tx throws(StoreError) in try tx.delete(t, row: bsatn(row)) }
        #expect(deleted)
        #expect(try db.read { tx in try tx.rowCount(t) } == 2)
    }

    // MARK: type mismatches

    @Test func wrongValueTypeOrColumnCount() throws {
        let (db, t) = try makeStore(playerSchema())
        let e1 = expectStoreError(.typeMismatch) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.string("1"), .string("a"), .f32(0), .f32(0)]) }
        }
        expectContains(e1?.message, "column `id`")
        let e2 = expectStoreError(.typeMismatch) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u64(1), .string("a"), .f32(0)]) }
        }
        expectContains(e2?.message, "4 columns")
        expectStoreError(.typeMismatch, "f64 where f32 is expected") {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u64(1), .string("a"), .f64(0), .f32(0)]) }
        }
        #expect(try db.read { tx in try tx.rowCount(t) } == 0)
    }

    @Test func malformedOrTrailingBSATN() throws {
        let (db, t) = try makeStore(playerSchema())
        let good = bsatn(player(1, "ann", 1, 2))
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated", Array(good.dropLast())),
            ("trailing byte", good + [0]),
            ("string length past the end", bsatn([.u64(1)]) + [0xFF, 0, 0, 0, 0x61] + bsatn([.f32(0), .f32(0)])),
            ("invalid UTF-8", bsatn([.u64(1)]) + [1, 0, 0, 0, 0xFF] + bsatn([.f32(0), .f32(0)])),
        ]
        for (what, bytes) in cases {
            let e = expectStoreError(.typeMismatch, "\(what)") {
                try db.write { tx throws(StoreError) in try tx.insert(t, bytes) }
            }
            expectContains(e?.message, "table `player`")
            expectStoreError(.typeMismatch, "delete(row:) with \(what)") {
                try db.write { tx throws(StoreError) in _ = try tx.delete(t, row: bytes) }
            }
        }
        let pk = try db.read { tx in try tx.indexId("player_id_idx_btree", table: t) }
        expectStoreError(.typeMismatch, "update with trailing bytes") {
            try db.write { tx throws(StoreError) in try tx.update(index: pk, row: good + [1]) }
        }
        // An invalid bool byte.
        let (db2, t2) = try makeStore(TableSchema(name: "b", columns: [.init("flag", .bool)]))
        expectStoreError(.typeMismatch) { try db2.write { tx throws(StoreError) in try tx.insert(t2, [2]) } }
        #expect(try db.read { tx in try tx.rowCount(t) } == 0)
        #expect(try db2.read { tx in try tx.rowCount(t2) } == 0)
    }

    // MARK: names

    @Test func unknownTableNameSuggestsACloseOne() throws {
        let (db, _) = try makeStore(playerSchema())
        let e = expectStoreError(.noSuchTable) { _ = try db.read { tx throws(StoreError) in try tx.tableId("playr") } }
        expectContains(e?.message, "`playr`")
        expectContains(e?.message, "did you mean `player`?")
        let far = expectStoreError(.noSuchTable) { _ = try db.read { tx throws(StoreError) in try tx.tableId("zebra_crossing") } }
        #expect(far?.message.contains("did you mean") == false)
        expectStoreError(.noSuchTable, "unknown table id") {
            _ = try db.read { tx throws(StoreError) in try tx.rowCount(999_999) }
        }
        expectStoreError(.noSuchTable, "insert into unknown table id") {
            try db.write { tx throws(StoreError) in try tx.insert(999_999, [1]) }
        }
    }

    @Test func unknownIndexNameIdAndColumn() throws {
        let (db, t) = try makeStore(playerSchema())
        let e = expectStoreError(.noSuchIndex) {
            _ = try db.read { tx throws(StoreError) in try tx.indexId("player_nam_idx_btree", table: t) }
        }
        expectContains(e?.message, "`player_nam_idx_btree`")
        expectContains(e?.message, "did you mean `player_name_idx_btree`?")
        expectStoreError(.noSuchIndex, "unknown index id") {
            _ = try db.read { tx throws(StoreError) in try tx.seekRows(123_456, IndexKey(.u64(1))) }
        }
        let c = expectStoreError(.noSuchColumn) {
            _ = try db.read { tx throws(StoreError) in try tx.indexId(columns: ["nme"], table: t) }
        }
        expectContains(c?.message, "did you mean `name`?")
        let byColumns = try db.read { tx in try tx.indexId(columns: ["x"], table: t) }
        let byName = try db.read { tx in try tx.indexId("player_x", table: t) }
        #expect(byColumns == byName)
        #expect(try db.read { tx in try tx.indexId(columns: ["x", "y"], table: t) } == nil)
    }

    // MARK: system tables

    @Test func systemTablesAreReadOnly() throws {
        let (db, t) = try makeStore(playerSchema())
        let tableRow = try db.read { tx in try tx.rows(SystemTables.stTable) }.first!
        let stPk = try db.read { tx in try tx.indexId("st_table_table_id_idx_btree", table: SystemTables.stTable) }
        let before = try db.read { tx in try tx.rows(SystemTables.stTable) }
        let attempts: [(String, (MutTx) throws(StoreError) -> Void)] = [
            ("insert", { tx throws(StoreError) in try tx.insert(SystemTables.stTable, tableRow) }),
            (
                "insert values",
                { tx throws(StoreError) in
                    try tx.insert(SystemTables.stColumn, values: [.u32(t), .u16(9), .string("z"), .string("u8"), .bytes([6])])
                }
            ),
            (
                "delete by id",
                { tx throws(StoreError) in
                    var rid: RowId?
                    try tx.scan(SystemTables.stTable) { id, _ in
                        rid = id
                        return false
                    }
                    try tx.delete(SystemTables.stTable, rid!)
                }
            ),
            ("delete by value", { tx throws(StoreError) in _ = try tx.delete(SystemTables.stTable, row: tableRow) }),
            ("delete by key", { tx throws(StoreError) in _ = try tx.delete(index: stPk, key: IndexKey(.u32(t))) }),
            ("delete range", { tx throws(StoreError) in _ = try tx.delete(index: stPk, from: .unbounded, to: .unbounded) }),
            ("clear", { tx throws(StoreError) in _ = try tx.clear(SystemTables.stSequence) }),
            ("update", { tx throws(StoreError) in try tx.update(index: stPk, row: tableRow) }),
        ]
        for (what, op) in attempts {
            let e = expectStoreError(.systemTableReadOnly, "\(what)") { try db.write(op) }
            expectContains(e?.message, "system table `st_")
        }
        #expect(try db.read { tx in try tx.rows(SystemTables.stTable) } == before)
    }

    // MARK: schema validation

    @Test(arguments: [
        ("duplicate column", TableSchema(name: "t", columns: [.init("a", .u8), .init("a", .u16)]), "declared twice"),
        (
            "index on a missing column",
            TableSchema(name: "t", columns: [.init("a", .u8)], indexes: [IndexSchema(name: "i", columns: [1])]), "column #1"
        ),
        ("primary key out of range", TableSchema(name: "t", columns: [.init("a", .u8)], primaryKey: 3), "column #3"),
        (
            "sequence on a string",
            TableSchema(name: "t", columns: [.init("s", .string)], sequences: [.init(name: "", column: 0)]),
            "integer type"
        ),
        (
            "increment 0",
            TableSchema(name: "t", columns: [.init("n", .u32)], sequences: [.init(name: "", column: 0, increment: 0)]),
            "increment 0"
        ),
        (
            "start outside min...max",
            TableSchema(name: "t", columns: [.init("n", .i32)], sequences: [.init(name: "", column: 0, start: 0)]), "outside"
        ),
        ("st_ prefix", TableSchema(name: "st_mine", columns: [.init("a", .u8)]), "reserved"),
        ("empty name", TableSchema(name: "", columns: [.init("a", .u8)]), "name"),
        (
            "duplicate index name",
            TableSchema(
                name: "t", columns: [.init("a", .u8), .init("b", .u8)],
                indexes: [IndexSchema(name: "i", columns: [0]), IndexSchema(name: "i", columns: [1])]), "index `i`"
        ),
        (
            "index listing a column twice",
            TableSchema(name: "t", columns: [.init("a", .u8)], indexes: [IndexSchema(name: "i", columns: [0, 0])]), "twice"
        ),
    ])
    func invalidSchemaIsRejected(what: String, schema: TableSchema, fragment: String) throws {
        let db = Datastore()
        let before = try db.read { tx in try tx.rows(SystemTables.stTable) }
        let e = expectStoreError(.invalidSchema, "\(what)") {
            try db.write { tx throws(StoreError) in try tx.createTable(schema) }
        }
        expectContains(e?.message, fragment)
        #expect(try db.read { tx in try tx.rows(SystemTables.stTable) } == before)
    }

    @Test func duplicateTableName() throws {
        let (db, _) = try makeStore(playerSchema())
        let e = expectStoreError(.tableExists) {
            try db.write { tx throws(StoreError) in try tx.createTable(playerSchema()) }
        }
        expectContains(e?.message, "`player`")
        // Also within one transaction.
        expectStoreError(.tableExists) {
            try db.write { tx throws(StoreError) in
                try tx.createTable(Self.pkSchema("u"))
                try tx.createTable(Self.pkSchema("u"))
            }
        }
        expectStoreError(.noSuchTable) { _ = try db.read { tx throws(StoreError) in try tx.tableId("u") } }
    }

    // MARK: closed transactions

    @Test func mutTxAfterCommitOrRollbackIsClosed() throws {
        let (db, t) = try makeStore(playerSchema())
        let pk = try db.read { tx in try tx.indexId("player_id_idx_btree", table: t) }
        for commit in [true, false] {
            let tx = db.begin()
            let rid = try tx.insert(t, values: player(0, commit ? "ann" : "bob"))
            if commit { try tx.commit() } else { tx.rollback() }
            #expect(!db.inTransaction)
            let ops: [(String, () throws -> Void)] = [
                ("insert", { try tx.insert(t, values: player(0, "zed")) }),
                ("insert bytes", { try tx.insert(t, bsatn(player(0, "zed"))) }),
                ("delete", { try tx.delete(t, rid) }),
                ("delete row", { _ = try tx.delete(t, row: bsatn(player(1, "ann"))) }),
                ("delete key", { _ = try tx.delete(index: pk, key: IndexKey(.u64(1))) }),
                ("delete range", { _ = try tx.delete(index: pk, from: .unbounded, to: .unbounded) }),
                ("clear", { _ = try tx.clear(t) }),
                ("update", { try tx.update(index: pk, row: bsatn(player(1, "bob"))) }),
                ("createTable", { try tx.createTable(Self.pkSchema()) }),
            ]
            for (what, op) in ops {
                let e = expectStoreError(.transactionClosed, "\(what) after \(commit ? "commit" : "rollback")", op)
                expectContains(e?.message, "already committed or rolled back")
            }
            tx.rollback()  // a second rollback is a no-op
            // A new transaction is not affected by the stale handle.
            let stale = db.begin()
            expectStoreError(.transactionClosed, "old handle while a new tx is open") {
                try tx.insert(t, values: player(0, "zed"))
            }
            stale.rollback()
        }
        #expect(try db.read { tx in try rowValues(tx, t) } == [player(1, "ann")])
    }

    @Test func readsThroughAClosedMutTx() throws {
        let (db, t) = try makeStore(playerSchema())
        let stale = db.begin()
        try stale.commit()
        let open = db.begin()
        try open.insert(t, values: player(0, "uncommitted"))
        // A stale handle must not read (it would see another transaction's uncommitted rows).
        expectStoreError(.transactionClosed) { try stale.rowCount(t) }
        expectStoreError(.transactionClosed) { try stale.commit() }
        open.rollback()
    }

    @Test func deleteOfAMissingRowId() throws {
        let (db, t) = try makeStore(playerSchema())
        let rid = try db.write { tx throws(StoreError) in try tx.insert(t, values: player(0, "ann")) }.value
        _ = try db.write { tx throws(StoreError) in try tx.delete(t, rid) }
        let e = expectStoreError(.rowNotFound) { try db.write { tx throws(StoreError) in try tx.delete(t, rid) } }
        expectContains(e?.message, "table `player`")
        expectStoreError(.rowNotFound) { _ = try db.read { tx throws(StoreError) in try tx.row(t, RowId(raw: 1 << 40)) } }
    }
}
