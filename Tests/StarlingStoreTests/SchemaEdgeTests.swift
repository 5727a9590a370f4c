import StarlingTypes
import Testing

@testable import StarlingStore

/// Schema checks and index shapes the other suites do not reach.
struct SchemaEdgeTests {
    @Test func usersCannotCreateSystemTables() throws {
        let db = Datastore()
        var schema = playerSchema()
        schema.name = "st_fake"
        schema.tableType = .system
        let e = expectStoreError(.invalidSchema) { try db.write { tx throws(StoreError) in try tx.createTable(schema) } }
        expectContains(e?.message, "only user tables")
    }

    @Test func sequenceStartMustFitTheColumnType() throws {
        let db = Datastore()
        let schema = TableSchema(
            name: "small", columns: [.init("id", .u8)], primaryKey: 0,
            sequences: [SequenceSchema(name: "", column: 0, start: 1000)])
        let e = expectStoreError(.invalidSchema) { try db.write { tx throws(StoreError) in try tx.createTable(schema) } }
        expectContains(e?.message, "starts at 1000")
    }

    @Test func hashIndexWithManyRowsPerKeyStaysConsistent() throws {
        // A bool hash index puts thousands of rows under two keys: buckets switch to sets.
        let schema = TableSchema(
            name: "flags", columns: [.init("id", .u32), .init("on", .bool)], primaryKey: 0,
            indexes: [IndexSchema(name: "flags_on", columns: [1], algorithm: .hash)])
        let (db, t) = try makeStore(schema)
        try insertRows(db, t, (0..<2000).map { [.u32(UInt32($0)), .bool($0 % 3 == 0)] })
        let idx = try db.read { tx in try tx.indexId("flags_on", table: t) }
        _ = try db.write { tx throws(StoreError) in
            for i in stride(from: 0, to: 2000, by: 2) { try tx.delete(index: try tx.indexId(columns: ["id"], table: t)!, key: IndexKey(.u32(UInt32(i)))) }
        }
        let on = try db.read { tx in try tx.seekRows(idx, IndexKey(.bool(true))).count }
        let off = try db.read { tx in try tx.seekRows(idx, IndexKey(.bool(false))).count }
        #expect(on == (0..<2000).filter { $0 % 2 == 1 && $0 % 3 == 0 }.count)
        #expect(off == (0..<2000).filter { $0 % 2 == 1 && $0 % 3 != 0 }.count)
        let cleared = try db.write { tx throws(StoreError) in try tx.clear(t) }.value
        #expect(cleared == 1000)
        #expect(try db.read { tx in try tx.seekRows(idx, IndexKey(.bool(true))) }.isEmpty)
    }

    @Test func largeRowGetsItsOwnPage() throws {
        let schema = TableSchema(name: "blob", columns: [.init("data", .bytes)])
        let (db, t) = try makeStore(schema)
        // A 1 MiB row is fine (own page); rows are limited to just under 1 GiB.
        let big = [UInt8](repeating: 7, count: 1 << 20)
        _ = try db.write { tx throws(StoreError) in try tx.insert(t, values: [.bytes(big)]) }
        #expect(try db.read { tx in try tx.rows(t) }.first?.count == big.count + 4)
    }

    @Test func conflictOnASecondCompactUniqueIndexUndoesTheFirstClaim() throws {
        let schema = TableSchema(
            name: "pairs", columns: [.init("a", .u32), .init("b", .u64), .init("c", .i16)], primaryKey: 0,
            constraints: [ConstraintSchema(name: "", columns: [1]), ConstraintSchema(name: "", columns: [2])])
        let (db, t) = try makeStore(schema)
        try insertRows(db, t, [[.u32(1), .u64(10), .i16(-1)]])
        let e = expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u32(2), .u64(10), .i16(-2)]) }
        }
        expectContains(e?.message, "b = 10")
        expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u32(3), .u64(11), .i16(-1)]) }
        }
        let pk = try db.read { tx in try tx.indexId(columns: ["a"], table: t)! }
        let c = try db.read { tx in try tx.indexId(columns: ["c"], table: t)! }
        #expect(try db.read { tx in try tx.seekRows(pk, IndexKey(.u32(2))) }.isEmpty)
        #expect(try db.read { tx in try tx.seekRows(pk, IndexKey(.u32(3))) }.isEmpty)
        #expect(try db.read { tx in try tx.seekRows(c, IndexKey(.i16(-2))) }.isEmpty)
        #expect(try db.read { tx in try tx.rangeRows(pk, from: .unbounded, to: .unbounded) }.count == 1)
        // The keys of the refused rows are free again.
        try insertRows(db, t, [[.u32(2), .u64(12), .i16(-2)], [.u32(3), .u64(11), .i16(-3)]])
        #expect(try db.read { tx in try tx.rowCount(t) } == 3)
    }
}
