import StarlingTypes
import Testing

@testable import StarlingStore

/// A table without any index: `k u32, tag string, n i64`.
func itemSchema() -> TableSchema {
    TableSchema(name: "item", columns: [.init("k", .u32), .init("tag", .string), .init("n", .i64)])
}

func item(_ k: UInt32, _ tag: String, _ n: Int64 = 0) -> [AlgebraicValue] { [.u32(k), .string(tag), .i64(n)] }

/// The rows of every system table, as multisets (to check what a failed or rolled-back migration left).
func systemState(_ db: Datastore) throws -> [[[UInt8]: Int]] {
    try db.read { tx in try (0...4).map { multiset(try tx.rows(TableId($0))) } }
}

/// `item` with 200 rows, tags `t0`…`t9` (20 rows each), k = 0…199.
func makeItems() throws -> (Datastore, TableId) {
    let (db, t) = try makeStore(itemSchema())
    try insertRows(db, t, (0..<200).map { item(UInt32($0), "t\($0 % 10)", Int64($0)) })
    return (db, t)
}

struct AddIndexTests {
    @Test func indexOnAPopulatedTableFindsOldAndNewRows() throws {
        let (db, t) = try makeItems()
        let (idx, delta) = try db.write { tx throws(StoreError) in try tx.addIndex(t, IndexSchema(name: "", columns: [1])) }
        // Only the system row is logged: no user rows.
        #expect(delta.tables.map(\.tableId) == [SystemTables.stIndex])
        #expect(delta.tables[0].inserts.count == 1 && delta.tables[0].deletes.isEmpty)
        try db.read { tx throws in
            #expect(try tx.indexId("item_tag_idx_btree", table: t) == idx)
            #expect(try tx.schema(t).indexes == [IndexSchema(name: "item_tag_idx_btree", columns: [1])])
            let t3 = try tx.seekRows(idx, IndexKey(.string("t3"))).map { decodeRow(itemSchema(), $0) }
            #expect(Set(t3.map { $0[0] }) == Set((0..<20).map { AlgebraicValue.u32(UInt32($0 * 10 + 3)) }))
            let range = try tx.rangeRows(idx, from: .included(IndexKey(.string("t1"))), to: .excluded(IndexKey(.string("t3"))))
            #expect(range.count == 40)
        }
        try insertRows(db, t, [item(500, "t3"), item(501, "new")])
        _ = try db.write { tx throws(StoreError) in try tx.delete(t, row: bsatn(item(3, "t3", 3))) }
        try db.read { tx throws in
            #expect(try tx.seekRows(idx, IndexKey(.string("t3"))).count == 20)
            #expect(try tx.seekRows(idx, IndexKey(.string("new"))).map { decodeRow(itemSchema(), $0) } == [item(501, "new")])
        }
    }

    @Test func uniqueIndexOnDuplicatesIsRefusedAndChangesNothing() throws {
        let (db, t) = try makeItems()
        let before = try systemState(db)
        let next = db.nextIndexId
        let tx = db.begin()
        let e = expectStoreError(.uniqueViolation) {
            try tx.addIndex(t, IndexSchema(name: "tag_unique", columns: [1], algorithm: .hash, isUnique: true))
        }
        expectContains(e?.message, "`tag_unique`")
        expectContains(e?.message, "tag = \"t")
        #expect(try tx.schema(t) == itemSchema())
        expectStoreError(.noSuchIndex) { try tx.indexId("tag_unique", table: t) }
        // The transaction goes on; the refused index used no id.
        let k = try tx.addIndex(t, IndexSchema(name: "", columns: [0], isUnique: true))
        #expect(k == next)
        let delta = try tx.commit()
        #expect(delta.tables.map(\.tableId) == [SystemTables.stIndex, SystemTables.stConstraint])
        let after = try systemState(db)
        #expect(after[2].count == before[2].count + 1 && after[3].count == before[3].count + 1)
        let schema = try db.read { tx in try tx.schema(t) }
        #expect(schema.indexes == [IndexSchema(name: "item_k_idx_btree", columns: [0], isUnique: true)])
        #expect(schema.constraints == [ConstraintSchema(name: "item_k_key", columns: [0])])
        // The new unique index is enforced from now on; identical rows stay no-ops.
        let dup = expectStoreError(.uniqueViolation) { try insertRows(db, t, [item(7, "other")]) }
        expectContains(dup?.message, "item_k_idx_btree")
        try insertRows(db, t, [item(7, "t7", 7)])
        #expect(try db.read { tx in try tx.rowCount(t) } == 200)
    }

    @Test func rollbackRemovesTheIndex() throws {
        let (db, t) = try makeItems()
        let before = try systemState(db)
        let rowsBefore = try db.read { tx in multiset(try tx.rows(t)) }
        let nextIndex = db.nextIndexId
        let tx = db.begin()
        try tx.insert(t, values: item(900, "t1", 900))
        try tx.delete(t, row: bsatn(item(1, "t1", 1)))
        let idx = try tx.addIndex(t, IndexSchema(name: "by_tag", columns: [1], isUnique: false))
        let u = try tx.addIndex(t, IndexSchema(name: "", columns: [2], algorithm: .hash, isUnique: true))
        try tx.insert(t, values: item(901, "t1", 901))
        #expect(try tx.seekRows(idx, IndexKey(.string("t1"))).count == 21)
        #expect(try tx.seekRows(u, IndexKey(.i64(901))).count == 1)
        tx.rollback()
        try db.read { tx throws in
            #expect(try tx.schema(t) == itemSchema())
            expectStoreError(.noSuchIndex) { try tx.indexId("by_tag", table: t) }
            expectStoreError(.noSuchIndex) { try tx.seekRows(idx, IndexKey(.string("t1"))) }
            #expect(multiset(try tx.rows(t)) == rowsBefore)
        }
        #expect(try systemState(db) == before)
        #expect(db.nextIndexId == nextIndex)
        // The table works as before: inserts, deletes, and the same index can be added again.
        try insertRows(db, t, [item(902, "t2", 1)])
        let (again, _) = try db.write { tx throws(StoreError) in try tx.addIndex(t, IndexSchema(name: "by_tag", columns: [1])) }
        #expect(again == idx)
        #expect(try db.read { tx in try tx.seekRows(again, IndexKey(.string("t2"))).count } == 21)
    }

    @Test func invalidIndexesAreRefused() throws {
        let (db, t) = try makeStore(playerSchema())
        try insertRows(db, t, [player(0, "ann"), player(0, "bob")])
        let tx = db.begin()
        defer { tx.rollback() }
        let clash = expectStoreError(.invalidSchema) { try tx.addIndex(t, IndexSchema(name: "player_x", columns: [3])) }
        expectContains(clash?.message, "`player_x` already exists")
        expectStoreError(.invalidSchema) { try tx.addIndex(t, IndexSchema(name: "i", columns: [4])) }
        expectStoreError(.invalidSchema) { try tx.addIndex(t, IndexSchema(name: "i", columns: [])) }
        expectStoreError(.invalidSchema) { try tx.addIndex(t, IndexSchema(name: "i", columns: [1, 1])) }
        expectStoreError(.invalidSchema) { try tx.addIndex(SystemTables.stTable, IndexSchema(name: "i", columns: [2])) }
        expectStoreError(.noSuchTable) { try tx.addIndex(77777, IndexSchema(name: "i", columns: [0])) }
        // A second unique index on the name column reuses the existing constraint.
        let constraints = try tx.schema(t).constraints
        try tx.addIndex(t, IndexSchema(name: "name_hash", columns: [1], algorithm: .hash, isUnique: true))
        #expect(try tx.schema(t).constraints == constraints)
    }
}

struct AddColumnsTests {
    static let kind = AlgebraicType.sum(SumType([.init("a", .u8), .init("b", .string)]))
    static let pos = AlgebraicType.product(ProductType([.init("x", .f32), .init("y", .option(.u8))]))
    static let added: [ColumnSchema] = [
        .init("score", .i32), .init("tags", .array(.string)), .init("note", .option(.string)), .init("flag", .bool),
        .init("pos", pos), .init("kind", kind), .init("when", .timestamp), .init("next", .scheduleAt),
        .init("who", .identity), .init("conn", .connectionId), .init("blob", .bytes), .init("big", .u128),
        .init("ratio", .f64), .init("wait", .timeDuration),
    ]
    static let zeros: [AlgebraicValue] = [
        .i32(0), .array([]), .option(nil), .bool(false), .product([.f32(0), .option(nil)]), .sum(tag: 0, value: .u8(0)),
        .timestamp(Timestamp(microsSinceUnixEpoch: 0)), .scheduleAt(.interval(TimeDuration(micros: 0))),
        .identity(.zero), .connectionId(.zero), .bytes([]), .u128(0), .f64(0), .timeDuration(TimeDuration(micros: 0)),
    ]

    @Test func oldRowsGetZeroValuesAndIndexesKeepWorking() throws {
        let (db, t) = try makeStore(playerSchema())
        try insertRows(db, t, (0..<50).map { player(0, "p\($0)", Float($0)) })
        let (_, delta) = try db.write { tx throws(StoreError) in try tx.addColumns(t, Self.added) }
        #expect(delta.tables.map(\.tableId) == [SystemTables.stColumn])
        #expect(delta.tables[0].inserts.count == Self.added.count)
        let schema = try db.read { tx in try tx.schema(t) }
        #expect(schema.columns == playerSchema().columns + Self.added)
        let rows = try db.read { tx in try rowValues(tx, t) }
        #expect(rows.count == 50)
        for r in rows { #expect(Array(r.dropFirst(4)) == Self.zeros) }
        // Old-width rows are refused; full rows go in, and the sequence continues.
        expectStoreError(.typeMismatch) { try insertRows(db, t, [player(0, "old")]) }
        let full = player(0, "new", 7) + [.i32(5)] + Array(Self.zeros.dropFirst())
        let (rid, _) = try db.write { tx throws(StoreError) in try tx.insert(t, values: full) }
        try db.read { tx throws in
            let back = decodeRow(schema, try tx.row(t, rid))
            #expect(back[0] == .u64(51) && back[4] == .i32(5))
            let pk = try #require(try tx.indexId(columns: ["id"], table: t))
            #expect(try tx.seekRows(pk, IndexKey(.u64(10))).map { decodeRow(schema, $0)[1] } == [.string("p9")])
            let x = try tx.indexId("player_x", table: t)
            #expect(try tx.rangeRows(x, from: .included(IndexKey(.f32(5))), to: .included(IndexKey(.f32(7)))).count == 4)
        }
        // The unique constraint on `name` still holds, and updates through the primary key work.
        let dup = expectStoreError(.uniqueViolation) {
            try insertRows(db, t, [player(0, "p3") + Self.zeros])
        }
        expectContains(dup?.message, "name = \"p3\"")
        _ = try db.write { tx throws(StoreError) in
            let pk = try tx.indexId(columns: ["id"], table: t)!
            try tx.update(index: pk, row: bsatn(player(1, "p0", 99) + [.i32(1)] + Self.zeros.dropFirst()))
        }
        #expect(try db.read { tx in try rowValues(tx, t) }.contains { $0[0] == .u64(1) && $0[4] == .i32(1) })
    }

    @Test func rollbackRestoresTheOldTableExactly() throws {
        let (db, t) = try makeStore(playerSchema())
        try insertRows(db, t, (0..<30).map { player(0, "p\($0)", Float($0)) })
        func image() throws -> [RowId: [UInt8]] {
            try db.read { tx throws in
                var out: [RowId: [UInt8]] = [:]
                try tx.scan(t) { id, row in
                    out[id] = Array(row)
                    return true
                }
                return out
            }
        }
        let before = try image()
        let system = try systemState(db)
        let tx = db.begin()
        try tx.addColumns(t, [.init("score", .i32)])
        try tx.addColumns(t, [.init("rank", .u8)])
        try tx.insert(t, values: player(0, "extra") + [.i32(3), .u8(1)])
        try tx.addIndex(t, IndexSchema(name: "by_score", columns: [4]))
        try tx.delete(t, row: bsatn(player(1, "p0", 0) + [.i32(0), .u8(0)]))
        #expect(try tx.rowCount(t) == 30)
        tx.rollback()
        #expect(try image() == before)
        #expect(try systemState(db) == system)
        #expect(try db.read { tx in try tx.schema(t) } == SchemaValidator.normalize(playerSchema()))
        // The old table is fully usable: old-width inserts, the sequence resumes where it was.
        let (rid, _) = try db.write { tx throws(StoreError) in try tx.insert(t, values: player(0, "after")) }
        #expect(try db.read { tx in decodeRow(playerSchema(), try tx.row(t, rid))[0] } == .u64(31))
    }

    @Test func indexThenColumnsInOneTransaction() throws {
        let (db, t) = try makeItems()
        let system = try systemState(db)
        for commit in [false, true] {
            let tx = db.begin()
            let idx = try tx.addIndex(t, IndexSchema(name: "by_n", columns: [2], isUnique: true))
            try tx.addColumns(t, [.init("extra", .u16)])
            try tx.insert(t, values: item(1000, "x", 1000) + [.u16(7)])
            #expect(try tx.seekRows(idx, IndexKey(.i64(1000))).count == 1)
            #expect(try tx.seekRows(idx, IndexKey(.i64(5))).map { decodeRow(try tx.schema(t), $0)[3] } == [.u16(0)])
            if commit {
                let delta = try tx.commit()
                #expect(delta.tables.map(\.tableId) == [SystemTables.stColumn, SystemTables.stIndex, SystemTables.stConstraint, t])
            } else {
                tx.rollback()
                #expect(try systemState(db) == system)
                #expect(try db.read { tx in try tx.schema(t) } == itemSchema())
                expectStoreError(.noSuchIndex) { try db.read { tx in try tx.seekRows(idx, IndexKey(.i64(5))) } }
            }
        }
        #expect(try db.read { tx in try tx.rowCount(t) } == 201)
    }

    @Test func invalidColumnsAreRefused() throws {
        let (db, t) = try makeStore(playerSchema())
        try insertRows(db, t, [player(0, "ann")])
        let system = try systemState(db)
        let tx = db.begin()
        let existing = expectStoreError(.invalidSchema) { try tx.addColumns(t, [.init("name", .string)]) }
        expectContains(existing?.message, "column `name`")
        expectStoreError(.invalidSchema) { try tx.addColumns(t, [.init("a", .u8), .init("a", .u16)]) }
        expectStoreError(.invalidSchema) { try tx.addColumns(t, [.init("", .u8)]) }
        let empty = expectStoreError(.invalidSchema) { try tx.addColumns(t, [.init("never", .sum(SumType([])))]) }
        expectContains(empty?.message, "no values")
        expectStoreError(.invalidSchema) { try tx.addColumns(SystemTables.stColumn, [.init("x", .u8)]) }
        try tx.addColumns(t, [])
        // A table with uncommitted row changes cannot be rewritten.
        try tx.insert(t, values: player(0, "bob"))
        let touched = expectStoreError(.invalidSchema) { try tx.addColumns(t, [.init("score", .i32)]) }
        expectContains(touched?.message, "uncommitted row changes")
        #expect(try tx.schema(t).columns == playerSchema().columns)
        let delta = try tx.commit()
        #expect(delta.tables.map(\.tableId) == [t])
        #expect(try systemState(db) == system)
    }

    @Test func zeroValuesConformToTheirTypes() {
        for (c, z) in zip(Self.added, Self.zeros) {
            #expect(zeroValue(of: c.type) == z)
            #expect(z.conforms(to: c.type))
        }
        #expect(zeroValue(of: .product(ProductType([.init("e", .sum(SumType([])))]))) == nil)
        #expect(zeroValue(of: .array(.sum(SumType([])))) == .array([]))
        #expect(zeroValue(of: .option(.sum(SumType([])))) == .option(nil))
    }
}
