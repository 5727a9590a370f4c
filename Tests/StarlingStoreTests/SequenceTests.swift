import StarlingTypes
import Testing

@testable import StarlingStore

/// Auto-increment sequences: filling zeros, numbering across transactions and rollbacks, bounds,
/// custom steps, block reservations in `st_sequence`, wide integer columns.
struct SequenceTests {
    /// `id` (auto-inc, primary key unless told otherwise) of `type` and a `note` string.
    static func seqSchema(
        _ type: AlgebraicType, start: Int128 = 1, increment: Int128 = 1, min: Int128 = 1, max: Int128 = Int128(Int64.max),
        primaryKey: Bool = true
    ) -> TableSchema {
        TableSchema(
            name: "s", columns: [.init("id", type), .init("note", .string)], primaryKey: primaryKey ? 0 : nil,
            sequences: [SequenceSchema(name: "", column: 0, start: start, increment: increment, min: min, max: max)])
    }

    /// An integer value as Int128 (u128 values above Int128.max do not occur here).
    static func int(_ v: AlgebraicValue) -> Int128 {
        switch v {
        case .i8(let x): Int128(x)
        case .u8(let x): Int128(x)
        case .i16(let x): Int128(x)
        case .u16(let x): Int128(x)
        case .i32(let x): Int128(x)
        case .u32(let x): Int128(x)
        case .i64(let x): Int128(x)
        case .u64(let x): Int128(x)
        case .i128(let x): x
        case .u128(let x): Int128(x)
        default: preconditionFailure("not an integer: \(v)")
        }
    }

    /// Inserts a row with id `value` through `tx`; returns the id stored.
    @discardableResult
    static func insert(_ tx: MutTx, _ t: TableId, _ value: AlgebraicValue, _ note: String) throws(StoreError) -> Int128 {
        let rid = try tx.insert(t, values: [value, .string(note)])
        return int(decodeRow(try tx.schema(t), try tx.row(t, rid))[0])
    }

    /// Inserts `count` rows with id `zero` (auto) in one committed transaction; returns the ids given.
    static func insertAuto(_ db: Datastore, _ t: TableId, _ zero: AlgebraicValue, count: Int, note: String = "r") throws
        -> [Int128]
    {
        try db.write { tx throws(StoreError) in
            try (0..<count).map { i throws(StoreError) in try insert(tx, t, zero, "\(note)\(i)") }
        }.value
    }

    /// The table's `st_sequence` row.
    static func sequenceRow(_ tx: some StoreReading, table: TableId) throws -> [AlgebraicValue] {
        let rows = try rowValues(tx, SystemTables.stSequence).filter { $0[1] == .u32(table) }
        try #require(rows.count == 1)
        return rows[0]
    }

    static func allocated(_ db: Datastore, table: TableId) throws -> Int128 {
        try db.read { tx in int(try sequenceRow(tx, table: table)[8]) }
    }

    // MARK: filling zeros

    @Test func fillsZeroAndKeepsExplicitValues() throws {
        let (db, t) = try makeStore(Self.seqSchema(.u64))
        #expect(try Self.insertAuto(db, t, .u64(0), count: 3) == [1, 2, 3])
        let (ids, _) = try db.write { tx throws(StoreError) in
            [
                try Self.insert(tx, t, .u64(100), "explicit"),  // kept, and does not move the sequence
                try Self.insert(tx, t, .u64(0), "auto"),
            ]
        }
        #expect(ids == [100, 4])
        // An explicit value ahead of the sequence collides later. Observed: the failed insert
        // consumed the value, so the next insert of the same (committed) transaction skips it.
        let (more, _) = try db.write { tx throws(StoreError) in
            try Self.insert(tx, t, .u64(5), "explicit five")
            do throws(StoreError) {
                try Self.insert(tx, t, .u64(0), "collides")
                Issue.record("expected a unique violation on id 5")
            } catch { #expect(error.code == .uniqueViolation) }
            return try Self.insert(tx, t, .u64(0), "after")
        }
        #expect(more == 6)
        let stored = try db.read { tx in try rowValues(tx, t) }.map { Self.int($0[0]) }.sorted()
        #expect(stored == [1, 2, 3, 4, 5, 6, 100])
    }

    @Test func numberingContinuesAcrossTransactions() throws {
        let (db, t) = try makeStore(Self.seqSchema(.u32))
        #expect(try Self.insertAuto(db, t, .u32(0), count: 3, note: "a") == [1, 2, 3])
        #expect(try Self.insertAuto(db, t, .u32(0), count: 2, note: "b") == [4, 5])
        _ = try db.write { tx throws(StoreError) in _ = try tx.clear(t) }
        #expect(try Self.insertAuto(db, t, .u32(0), count: 1, note: "c") == [6], "clearing the table does not reset the sequence")
    }

    @Test func rollbackRestoresTheSequence() throws {
        let (db, t) = try makeStore(Self.seqSchema(.i64))
        #expect(try Self.insertAuto(db, t, .i64(0), count: 2, note: "a") == [1, 2])
        let tx = db.begin()
        #expect(try (0..<3).map { i throws(StoreError) in try Self.insert(tx, t, .i64(0), "b\(i)") } == [3, 4, 5])
        tx.rollback()
        // Observed: values handed out in a rolled-back transaction are handed out again.
        #expect(try Self.insertAuto(db, t, .i64(0), count: 1, note: "c") == [3])
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.write { tx in
                try Self.insert(tx, t, .i64(0), "d")
                throw Boom()
            }
        }
        #expect(try Self.insertAuto(db, t, .i64(0), count: 1, note: "e") == [4])
    }

    // MARK: bounds

    @Test func u8SequenceOverflowsAfter255Values() throws {
        let (db, t) = try makeStore(Self.seqSchema(.u8))
        let ids = try Self.insertAuto(db, t, .u8(0), count: 255)
        #expect(ids == Array(1...255))
        let e = expectStoreError(.sequenceOverflow) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u8(0), .string("one too many")]) }
        }
        expectContains(e?.message, "sequence `s_id_seq`")
        expectContains(e?.message, "table `s`")
        expectContains(e?.message, "256")
        expectContains(e?.message, "1...255")
        expectContains(e?.message, "column `id` of type u8")
        #expect(try db.read { tx in try tx.rowCount(t) } == 255)
        // Still exhausted in later transactions; explicit values are still accepted by the column.
        expectStoreError(.sequenceOverflow) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u8(0), .string("again")]) }
        }
    }

    @Test func sequenceMaxBelowTheTypeLimit() throws {
        let (db, t) = try makeStore(Self.seqSchema(.i16, start: 8, max: 10))
        #expect(try Self.insertAuto(db, t, .i16(0), count: 3) == [8, 9, 10])
        let e = expectStoreError(.sequenceOverflow) { _ = try Self.insertAuto(db, t, .i16(0), count: 1) }
        expectContains(e?.message, "next value 11 is outside 1...10")
    }

    @Test func customStartAndIncrement() throws {
        let (db, t) = try makeStore(Self.seqSchema(.i32, start: 10, increment: 5))
        #expect(try Self.insertAuto(db, t, .i32(0), count: 4) == [10, 15, 20, 25])
        #expect(try Self.allocated(db, table: t) == 10 + 5 * 4095)
    }

    @Test func negativeIncrement() throws {
        let (db, t) = try makeStore(Self.seqSchema(.i32, start: -1, increment: -3, min: Int128(Int32.min), max: -1))
        #expect(try Self.insertAuto(db, t, .i32(0), count: 4) == [-1, -4, -7, -10])
        #expect(try Self.allocated(db, table: t) == -1 - 3 * 4095)
        // Going down into the type's minimum: an i8 column stops at -128.
        let (db8, t8) = try makeStore(Self.seqSchema(.i8, start: -120, increment: -5, min: -1000, max: 0))
        #expect(try Self.insertAuto(db8, t8, .i8(0), count: 2) == [-120, -125])
        let e = expectStoreError(.sequenceOverflow) { _ = try Self.insertAuto(db8, t8, .i8(0), count: 1) }
        expectContains(e?.message, "-130")
        expectContains(e?.message, "-128...0")
    }

    // MARK: st_sequence

    @Test func stSequenceAllocatesBlocksOf4096() throws {
        let (db, t) = try makeStore(Self.seqSchema(.u64, primaryKey: false))
        let row = try db.read { tx in try Self.sequenceRow(tx, table: t) }
        // sequence_id, table_id, name, col_pos, start, increment, min, max, allocated
        #expect(row[2...7] == [.string("s_id_seq"), .u16(0), .i128(1), .i128(1), .i128(1), .i128(Int128(Int64.max))])
        #expect(row[8] == .i128(0), "nothing reserved before the first insert")
        // The first value reserves 1...4096 (written to st_sequence in that transaction).
        let (first, d1) = try db.write { tx throws(StoreError) in try Self.insert(tx, t, .u64(0), "first") }
        #expect(first == 1)
        #expect(try Self.allocated(db, table: t) == 4096)
        let seqDelta = try #require(d1[table: "st_sequence"])
        #expect(seqDelta.deletes.count == 1 && seqDelta.inserts.count == 1)
        #expect(decodeRow(try db.read { tx in try tx.schema(SystemTables.stSequence) }, seqDelta.inserts[0])[8] == .i128(4096))
        // Values 2...4096 come from that block: st_sequence is not written again.
        let (ids, d2) = try db.write { tx throws(StoreError) in
            try (2...4096).map { i throws(StoreError) in try Self.insert(tx, t, .u64(0), "v\(i)") }
        }
        #expect(ids == Array(2...4096))
        #expect(d2[table: "st_sequence"] == nil)
        #expect(try Self.allocated(db, table: t) == 4096)
        // 4097 starts the next block.
        let (next, d3) = try db.write { tx throws(StoreError) in try Self.insert(tx, t, .u64(0), "next") }
        #expect(next == 4097)
        #expect(d3[table: "st_sequence"]?.inserts.count == 1)
        #expect(try Self.allocated(db, table: t) == 8192)
        // A rolled-back reservation is undone in st_sequence too.
        let tx = db.begin()
        for i in 0..<4096 { try Self.insert(tx, t, .u64(0), "w\(i)") }
        #expect(try Self.allocated(tx, table: t) == 12288)
        tx.rollback()
        #expect(try Self.allocated(db, table: t) == 8192)
        #expect(try Self.insertAuto(db, t, .u64(0), count: 1, note: "z") == [4098])
    }

    static func allocated(_ tx: MutTx, table: TableId) throws -> Int128 { int(try sequenceRow(tx, table: table)[8]) }

    @Test func allocationIsCappedAtTheMaximum() throws {
        let (db, t) = try makeStore(Self.seqSchema(.u16, start: 65_000))
        #expect(try Self.insertAuto(db, t, .u16(0), count: 1) == [65_000])
        #expect(try Self.allocated(db, table: t) == 65_535)
    }

    // MARK: wide columns

    @Test func u128AndI128Sequences() throws {
        let (db, t) = try makeStore(Self.seqSchema(.u128))
        #expect(try Self.insertAuto(db, t, .u128(0), count: 3) == [1, 2, 3])
        let big = try db.write { tx throws(StoreError) in try tx.insert(t, values: [.u128(UInt128.max - 1), .string("big")]) }
            .value
        #expect(try db.read { tx in try tx.row(t, big) } == bsatn([.u128(UInt128.max - 1), .string("big")]))
        #expect(try Self.insertAuto(db, t, .u128(0), count: 1, note: "n") == [4])

        let start = Int128(1) << 100
        let step = Int128(1) << 90
        let (dbi, ti) = try makeStore(Self.seqSchema(.i128, start: start, increment: step, max: .max))
        #expect(try Self.insertAuto(dbi, ti, .i128(0), count: 3) == [start, start + step, start + 2 * step])
        #expect(try Self.allocated(dbi, table: ti) == start + 4095 * step)

        let (dbn, tn) = try makeStore(Self.seqSchema(.i128, start: -5, increment: -(Int128(1) << 120), min: .min, max: 0))
        #expect(try Self.insertAuto(dbn, tn, .i128(0), count: 2) == [-5, -5 - (Int128(1) << 120)])
    }

    @Test(arguments: [AlgebraicType.i128, .u128])
    func wideSequenceEndsAtInt128Max(_ type: AlgebraicType) throws {
        // The last values before Int128.max, with a step that does not land on it.
        let zero: AlgebraicValue = type == .i128 ? .i128(0) : .u128(0)
        let (db, t) = try makeStore(Self.seqSchema(type, start: .max - 10, increment: 4, max: .max, primaryKey: false))
        #expect(try Self.insertAuto(db, t, zero, count: 3) == [.max - 10, .max - 6, .max - 2])
        #expect(try Self.allocated(db, table: t) == .max)
        for _ in 0..<2 {
            let e = expectStoreError(.sequenceOverflow, "the next value, Int128.max + 2, is out of range") {
                try db.write { tx throws(StoreError) in try tx.insert(t, values: [zero, .string("past the end")]) }
            }
            expectContains(e?.message, "\(Int128.max - 2) + 4 (past the 128-bit range)")
        }
        #expect(try db.read { tx in try tx.rowCount(t) } == 3)
        // Landing exactly on Int128.max: that value is handed out, then the sequence is exhausted.
        let (db2, t2) = try makeStore(Self.seqSchema(.i128, start: .max - 2, increment: 1, max: .max, primaryKey: false))
        #expect(try Self.insertAuto(db2, t2, .i128(0), count: 3) == [.max - 2, .max - 1, .max])
        expectStoreError(.sequenceOverflow) { _ = try Self.insertAuto(db2, t2, .i128(0), count: 1) }
        // And downwards to Int128.min.
        let (db3, t3) = try makeStore(Self.seqSchema(.i128, start: .min + 3, increment: -2, min: .min, max: 0, primaryKey: false))
        #expect(try Self.insertAuto(db3, t3, .i128(0), count: 2) == [.min + 3, .min + 1])
        expectStoreError(.sequenceOverflow) { _ = try Self.insertAuto(db3, t3, .i128(0), count: 1) }
        #expect(try db3.read { tx in try tx.rowCount(t3) } == 2)
    }
}
