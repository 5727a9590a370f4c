import StarlingTypes
import Testing

@testable import StarlingStore

/// Rollback, reading one's own writes, and the contents of `TxDelta`.
struct TransactionTests {
    /// id u64 (pk), name string (unique), score i32 (btree), flag bool (hash).
    static func acctSchema(_ name: String = "acct") -> TableSchema {
        TableSchema(
            name: name, columns: [.init("id", .u64), .init("name", .string), .init("score", .i32), .init("flag", .bool)],
            primaryKey: 0,
            indexes: [IndexSchema(name: "", columns: [2]), IndexSchema(name: "", columns: [3], algorithm: .hash)],
            constraints: [ConstraintSchema(name: "", columns: [1])])
    }

    static func acct(_ id: UInt64, _ name: String, _ score: Int32, _ flag: Bool) -> [AlgebraicValue] {
        [.u64(id), .string(name), .i32(score), .bool(flag)]
    }

    /// Ten committed rows: ids 1...10, names n1...n10, scores id % 4 - 2 (duplicates), flag = even id.
    static func baseRows() -> [[AlgebraicValue]] {
        (1...10).map { acct(UInt64($0), "n\($0)", Int32($0 % 4) - 2, $0 % 2 == 0) }
    }

    struct Indexes {
        var pk: IndexId, name: IndexId, score: IndexId, flag: IndexId
        /// The indexes of a table made from ``acctSchema(_:)`` named `table`.
        init(_ tx: some StoreReading, _ t: TableId, table: String = "acct") throws {
            pk = try tx.indexId("\(table)_id_idx_btree", table: t)
            name = try tx.indexId("\(table)_name_idx_btree", table: t)
            score = try tx.indexId("\(table)_score_idx_btree", table: t)
            flag = try tx.indexId("\(table)_flag_idx_hash", table: t)
        }
    }

    static func setUp() throws -> (Datastore, TableId, Indexes) {
        let (db, t) = try makeStore(acctSchema())
        try insertRows(db, t, baseRows())
        return (db, t, try db.read { tx in try Indexes(tx, t) })
    }

    /// What a reader can observe of the table: rows from a scan and, separately, from every index.
    struct Snapshot: Equatable, CustomStringConvertible {
        var scan: Set<[AlgebraicValue]> = []
        var count = 0
        var byId: [UInt64: Set<[AlgebraicValue]>] = [:]
        var byName: [String: Set<[AlgebraicValue]>] = [:]
        var byScore: [Int32: Set<[AlgebraicValue]>] = [:]
        var byFlag: [Bool: Set<[AlgebraicValue]>] = [:]
        /// Scores in index order from an unbounded range scan.
        var scoreOrder: [Int32] = []
        var description: String { "rows \(scan.map { "\($0)" }.sorted())" }
    }

    static func snapshot(_ tx: some StoreReading, _ t: TableId, _ ix: Indexes) throws -> Snapshot {
        let schema = try tx.schema(t)
        func rows(_ list: [[UInt8]]) -> Set<[AlgebraicValue]> { Set(list.map { decodeRow(schema, $0) }) }
        var s = Snapshot()
        s.scan = Set(try rowValues(tx, t))
        s.count = try tx.rowCount(t)
        // Probe a fixed set of keys plus every key present in the scan.
        var ids = Set(UInt64(0)...30)
        var names = Set((0...30).map { "n\($0)" } + ["x", "y", "z"])
        var scores = Set(Int32(-5)...5)
        for r in s.scan {
            if case .u64(let v) = r[0] { ids.insert(v) }
            if case .string(let v) = r[1] { names.insert(v) }
            if case .i32(let v) = r[2] { scores.insert(v) }
        }
        for id in ids {
            let r = rows(try tx.seekRows(ix.pk, IndexKey(.u64(id))))
            if !r.isEmpty { s.byId[id] = r }
        }
        for n in names {
            let r = rows(try tx.seekRows(ix.name, IndexKey(.string(n))))
            if !r.isEmpty { s.byName[n] = r }
        }
        for sc in scores {
            let r = rows(try tx.seekRows(ix.score, IndexKey(.i32(sc))))
            if !r.isEmpty { s.byScore[sc] = r }
        }
        for f in [false, true] {
            let r = rows(try tx.seekRows(ix.flag, IndexKey(.bool(f))))
            if !r.isEmpty { s.byFlag[f] = r }
        }
        s.scoreOrder = try tx.rangeRows(ix.score, from: .unbounded, to: .unbounded).map {
            guard case .i32(let v) = decodeRow(schema, $0)[2] else { preconditionFailure() }
            return v
        }
        // Every index agrees with the scan.
        #expect(Set(s.byId.values.flatMap { $0 }) == s.scan)
        #expect(Set(s.byName.values.flatMap { $0 }) == s.scan)
        #expect(s.byScore.values.map(\.count).reduce(0, +) == s.count)
        #expect(s.byFlag.values.map(\.count).reduce(0, +) == s.count)
        #expect(s.scoreOrder == s.scoreOrder.sorted() && s.scoreOrder.count == s.count)
        return s
    }

    enum Mutation: String, CaseIterable, Sendable {
        case inserts, deletes, updates, clear, clearAndRefill, mixed
    }

    static func apply(_ m: Mutation, _ tx: MutTx, _ t: TableId, _ ix: Indexes) throws {
        switch m {
        case .inserts:
            for i in 11...20 { try tx.insert(t, values: acct(UInt64(i), "n\(i)", Int32(i % 5) - 2, true)) }
        case .deletes:
            #expect(try tx.delete(index: ix.score, key: IndexKey(.i32(0))) == 3)
            #expect(try tx.delete(t, row: bsatn(acct(1, "n1", -1, false))))
            var rid: RowId?
            try tx.seek(ix.pk, IndexKey(.u64(7))) { id, _ in
                rid = id
                return false
            }
            try tx.delete(t, try #require(rid, "no row with id 7"))
        case .updates:
            try tx.update(index: ix.pk, row: bsatn(acct(3, "x", 5, false)))
            try tx.update(index: ix.name, row: bsatn(acct(4, "n4", -5, true)))
            try tx.update(index: ix.pk, row: bsatn(acct(5, "n5", 3, false)))
            try tx.update(index: ix.pk, row: bsatn(acct(5, "y", 4, true)))  // updates its own update
        case .clear:
            #expect(try tx.clear(t) == 10)
        case .clearAndRefill:
            try tx.clear(t)
            for r in baseRows().reversed() { try tx.insert(t, values: r) }
            try tx.insert(t, values: acct(30, "z", 0, true))
        case .mixed:
            try tx.insert(t, values: acct(11, "n11", 4, true))
            try tx.update(index: ix.pk, row: bsatn(acct(11, "n12", 4, true)))
            try tx.delete(index: ix.pk, key: IndexKey(.u64(2)))
            try tx.insert(t, values: acct(2, "n2", 0, true))  // identical to the deleted one
            try tx.delete(index: ix.score, from: .included(IndexKey(.i32(1))), to: .unbounded)
            try tx.insert(t, values: acct(3, "x", 1, true))  // reuses a deleted primary key
        }
    }

    // MARK: rollback

    @Test(arguments: Mutation.allCases)
    func rollbackRestoresRowsAndIndexes(_ m: Mutation) throws {
        let (db, t, ix) = try Self.setUp()
        let before = try db.read { tx in try Self.snapshot(tx, t, ix) }
        let tx = db.begin()
        try Self.apply(m, tx, t, ix)
        let during = try Self.snapshot(tx, t, ix)
        #expect(during != before, "the mutation should be visible inside the transaction")
        tx.rollback()
        let after = try db.read { tx in try Self.snapshot(tx, t, ix) }
        #expect(after == before)
        // The restored unique indexes still reject duplicates, and the next transaction works.
        expectStoreError(.uniqueViolation) {
            try db.write { tx throws(StoreError) in try tx.insert(t, values: Self.acct(99, "n3", 0, true)) }
        }
        let (_, delta) = try db.write { tx in try Self.apply(m, tx, t, ix) }
        #expect(try db.read { tx in try Self.snapshot(tx, t, ix) } == during)
        #expect(delta.tables.map(\.tableName) == ["acct"])
    }

    @Test func throwingWriteBodyRollsBack() throws {
        let (db, t, ix) = try Self.setUp()
        let before = try db.read { tx in try Self.snapshot(tx, t, ix) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.write { tx in
                try Self.apply(.mixed, tx, t, ix)
                throw Boom()
            }
        }
        #expect(!db.inTransaction)
        #expect(try db.read { tx in try Self.snapshot(tx, t, ix) } == before)
    }

    @Test func rolledBackCreateTableDisappearsWithItsSystemRows() throws {
        let (db, _, _) = try Self.setUp()
        let systemTables = [
            SystemTables.stTable, SystemTables.stColumn, SystemTables.stIndex, SystemTables.stConstraint,
            SystemTables.stSequence,
        ]
        func systemRows() throws -> [[[UInt8]: Int]] {
            try db.read { tx in try systemTables.map { multiset(try tx.rows($0)) } }
        }
        let before = try systemRows()
        let namesBefore = try db.read { tx in try tx.tableNames().map(\.name) }
        var schema = playerSchema()
        schema.name = "temp"
        let tx = db.begin()
        let temp = try tx.createTable(schema)
        try tx.insert(temp, values: player(0, "a"))
        #expect(try tx.tableId("temp") == temp)
        #expect(try tx.rowCount(SystemTables.stSequence) == 1)
        tx.rollback()
        expectStoreError(.noSuchTable) { _ = try db.read { tx throws(StoreError) in try tx.tableId("temp") } }
        expectStoreError(.noSuchTable) { _ = try db.read { tx throws(StoreError) in try tx.rowCount(temp) } }
        #expect(try systemRows() == before)
        #expect(try db.read { tx in try tx.tableNames().map(\.name) } == namesBefore)
        // Observed: ids handed out in a rolled-back transaction are handed out again.
        let (again, delta) = try db.write { tx throws(StoreError) in try tx.createTable(schema) }
        #expect(again == temp)
        #expect(delta[table: "st_table"]?.inserts.count == 1)
        #expect(delta[table: "st_sequence"]?.inserts.count == 1)
        #expect(try db.read { tx in try tx.rowCount(again) } == 0)
    }

    @Test func rollbackAcrossManyPages() throws {
        // Enough rows for several pages per size class, so that emptied pages are released and
        // their numbers reused while the transaction runs.
        let (db, t) = try makeStore(Self.acctSchema())
        let ix = try db.read { tx in try Indexes(tx, t) }
        let base = (0..<6000).map { Self.acct(UInt64($0), "name\($0)", Int32($0 % 50) - 25, $0 % 3 == 0) }
        try insertRows(db, t, base)
        let before = try db.read { tx in try Self.snapshot(tx, t, ix) }
        for commit in [false, true] {
            let tx = db.begin()
            #expect(try tx.delete(index: ix.pk, from: .included(IndexKey(.u64(50))), to: .unbounded) == 5950)
            for i in 0..<3000 { try tx.insert(t, values: Self.acct(UInt64(10_000 + i), "x\(i)", 7, false)) }
            #expect(try tx.delete(index: ix.score, key: IndexKey(.i32(7))) == 3001)  // 3000 new rows and id 32
            for r in base[100..<200] { try tx.insert(t, values: r) }
            #expect(try tx.rowCount(t) == 149)
            if commit {
                let delta = try tx.commit()
                let d = try #require(delta[table: "acct"])
                #expect(d.inserts.count == 0 && d.deletes.count == 5851)
                #expect(Set(d.deletes.arrays).count == 5851)
            } else {
                tx.rollback()
                #expect(try db.read { tx in try Self.snapshot(tx, t, ix) } == before)
            }
        }
        let remaining = Set(try db.read { tx in try rowValues(tx, t) })
        #expect(remaining == Set(base[0..<50].filter { $0[0] != .u64(32) } + base[100..<200]))
    }

    @Test func rowIdsOfCommittedRowsSurviveARollback() throws {
        // RowId promises stability while the row exists; rows deleted by a rolled-back
        // transaction existed all along, so their ids should still name them.
        let (db, t) = try makeStore(Self.acctSchema())
        let (ids, _) = try db.write { tx throws(StoreError) in
            try Self.baseRows().map { r throws(StoreError) in try tx.insert(t, values: r) }
        }
        let tx = db.begin()
        try tx.delete(t, ids[1])
        try tx.delete(t, ids[3])
        tx.rollback()
        let schema = try db.read { tx in try tx.schema(t) }
        let rows = try db.read { tx in try ids.map { decodeRow(schema, try tx.row(t, $0)) } }
        // Deleted committed rows stay in their slots as tombstones until commit.
        #expect(rows == Self.baseRows())
    }

    // MARK: reading own writes

    @Test func transactionSeesItsOwnWrites() throws {
        let (db, t, ix) = try Self.setUp()
        let tx = db.begin()
        let rid = try tx.insert(t, values: Self.acct(50, "new", -7, true))
        let schema = try tx.schema(t)
        #expect(decodeRow(schema, try tx.row(t, rid)) == Self.acct(50, "new", -7, true))
        #expect(try tx.seekRows(ix.pk, IndexKey(.u64(50))).map { decodeRow(schema, $0) } == [Self.acct(50, "new", -7, true)])
        #expect(try tx.seekRows(ix.name, IndexKey(.string("new"))).count == 1)
        #expect(try tx.seekRows(ix.flag, IndexKey(.bool(true))).count == 6)
        let low = try tx.rangeRows(ix.score, from: .unbounded, to: .excluded(IndexKey(.i32(-2))))
        #expect(low.map { decodeRow(schema, $0) } == [Self.acct(50, "new", -7, true)])
        #expect(try tx.rowCount(t) == 11)
        #expect(Set(try rowValues(tx, t)).contains(Self.acct(50, "new", -7, true)))
        // Deleting and updating are visible too.
        try tx.delete(index: ix.pk, key: IndexKey(.u64(1)))
        #expect(try tx.seekRows(ix.name, IndexKey(.string("n1"))).isEmpty)
        try tx.update(index: ix.pk, row: bsatn(Self.acct(50, "newer", 8, false)))
        #expect(try tx.seekRows(ix.name, IndexKey(.string("new"))).isEmpty)
        #expect(try tx.seekRows(ix.score, IndexKey(.i32(8))).count == 1)
        expectStoreError(.rowNotFound, "the row id of an updated row is gone") { _ = try tx.row(t, rid) }
        #expect(try tx.rowCount(t) == 10)
        try tx.commit()
        let after = try db.read { tx in try Self.snapshot(tx, t, ix) }
        #expect(after.byId[50] == [Self.acct(50, "newer", 8, false)])
        #expect(after.byId[1] == nil)
    }

    // MARK: deltas

    @Test func deltaOfInsertsAndDeletes() throws {
        let (db, t, ix) = try Self.setUp()
        let (_, ins) = try db.write { tx throws(StoreError) in
            try tx.insert(t, values: Self.acct(11, "a", 0, true))
            try tx.insert(t, values: Self.acct(12, "b", 0, true))
        }
        #expect(ins.tables.map(\.tableId) == [t])
        #expect(
            multiset(rowArrays(ins[table: "acct"]?.inserts))
                == multiset([bsatn(Self.acct(11, "a", 0, true)), bsatn(Self.acct(12, "b", 0, true))]))
        #expect(ins[table: "acct"]?.deletes.isEmpty == true)
        let (_, del) = try db.write { tx throws(StoreError) in
            _ = try tx.delete(index: ix.pk, key: IndexKey(.u64(11)))
            _ = try tx.delete(t, row: bsatn(Self.acct(3, "n3", 1, false)))
        }
        #expect(
            multiset(rowArrays(del[table: "acct"]?.deletes))
                == multiset([bsatn(Self.acct(11, "a", 0, true)), bsatn(Self.acct(3, "n3", 1, false))]))
        #expect(del[table: "acct"]?.inserts.isEmpty == true)
        let (_, none) = try db.write { tx throws(StoreError) in
            #expect(try tx.delete(t, row: bsatn(Self.acct(3, "n3", 1, false))) == false)
            #expect(try tx.delete(index: ix.pk, key: IndexKey(.u64(11))) == 0)
        }
        #expect(none.isEmpty)
    }

    @Test func updateIsDeletePlusInsert() throws {
        let (db, _, ix) = try Self.setUp()
        let (_, delta) = try db.write { tx throws(StoreError) in
            try tx.update(index: ix.pk, row: bsatn(Self.acct(4, "four", 9, true)))
            try tx.update(index: ix.pk, row: bsatn(Self.acct(4, "FOUR", 9, true)))  // twice: only the last counts
            try tx.update(index: ix.pk, row: bsatn(Self.acct(5, "n5", -1, false)))  // identical: no change
        }
        let d = try #require(delta[table: "acct"])
        #expect(d.deletes.arrays == [bsatn(Self.acct(4, "n4", -2, true))])
        #expect(d.inserts.arrays == [bsatn(Self.acct(4, "FOUR", 9, true))])
    }

    @Test func insertThenDeleteLeavesNoDelta() throws {
        let (db, t, ix) = try Self.setUp()
        let (_, delta) = try db.write { tx throws(StoreError) in
            let rid = try tx.insert(t, values: Self.acct(40, "tmp", 0, true))
            try tx.delete(t, rid)
            try tx.insert(t, values: Self.acct(41, "tmp2", 0, true))
            try tx.update(index: ix.pk, row: bsatn(Self.acct(41, "tmp3", 1, true)))
            try tx.delete(index: ix.name, key: IndexKey(.string("tmp3")))
        }
        #expect(delta[table: "acct"] == nil)
        #expect(delta.isEmpty)
        #expect(try db.read { tx in try tx.rowCount(t) } == 10)
    }

    @Test func deleteThenReinsertIdenticalCancelsOut() throws {
        let (db, t, ix) = try Self.setUp()
        let (_, delta) = try db.write { tx throws(StoreError) in
            try tx.clear(t)
            for r in Self.baseRows().shuffled() { try tx.insert(t, values: r) }
        }
        #expect(delta.isEmpty)
        // Partly re-inserted, and one re-inserted with a change.
        let (_, delta2) = try db.write { tx throws(StoreError) in
            try tx.clear(t)
            for r in Self.baseRows().prefix(5) { try tx.insert(t, values: r) }
            try tx.insert(t, values: Self.acct(6, "n6", 3, true))
        }
        let d = try #require(delta2[table: "acct"])
        #expect(d.inserts.arrays == [bsatn(Self.acct(6, "n6", 3, true))])
        #expect(Set(d.deletes.arrays) == Set(Self.baseRows().suffix(5).map(bsatn)))
        #expect(d.deletes.count == 5)
        _ = ix
    }

    @Test func deltasAreInTableIdOrder() throws {
        let db = Datastore()
        let (ids, created) = try db.write { tx throws(StoreError) in
            try ["c", "a", "b"].map { n throws(StoreError) in try tx.createTable(Self.acctSchema(n)) }
        }
        #expect(ids == ids.sorted())
        #expect(created.tables.map(\.tableId) == [0, 1, 2, 3])  // st_table ... st_constraint; no sequences
        #expect(created.tables.map(\.tableName) == ["st_table", "st_column", "st_index", "st_constraint"])
        let (_, delta) = try db.write { tx throws(StoreError) in
            for t in ids.reversed() { try tx.insert(t, values: Self.acct(1, "x", 0, true)) }
            try tx.insert(ids[1], values: Self.acct(2, "y", 0, true))
        }
        #expect(delta.tables.map(\.tableId) == ids)
        #expect(delta.tables.map(\.tableName) == ["c", "a", "b"])
        #expect(delta.tables.map(\.inserts.count) == [1, 2, 1])
    }

    @Test func commitAfterACaughtFailureKeepsEarlierWork() throws {
        let (db, t, ix) = try Self.setUp()
        let (_, delta) = try db.write { tx throws(StoreError) in
            try tx.insert(t, values: Self.acct(11, "eleven", 0, true))
            do throws(StoreError) {
                try tx.insert(t, values: Self.acct(12, "n1", 0, true))  // name taken
                Issue.record("expected a unique violation")
            } catch { #expect(error.code == .uniqueViolation) }
            try tx.delete(index: ix.pk, key: IndexKey(.u64(2)))
            do throws(StoreError) {
                try tx.insert(t, values: [.u64(13)])
                Issue.record("expected a type mismatch")
            } catch { #expect(error.code == .typeMismatch) }
            do throws(StoreError) {
                try tx.update(index: ix.pk, row: bsatn(Self.acct(3, "n4", 0, true)))
                Issue.record("expected a unique violation")
            } catch { #expect(error.code == .uniqueViolation) }
            try tx.update(index: ix.pk, row: bsatn(Self.acct(3, "three", 0, true)))
        }
        let d = try #require(delta[table: "acct"])
        #expect(Set(d.inserts.arrays) == [bsatn(Self.acct(11, "eleven", 0, true)), bsatn(Self.acct(3, "three", 0, true))])
        #expect(Set(d.deletes.arrays) == [bsatn(Self.acct(2, "n2", 0, true)), bsatn(Self.acct(3, "n3", 1, false))])
        let rows = Set(try db.read { tx in try rowValues(tx, t) })
        var expected = Set(Self.baseRows())
        expected.remove(Self.acct(2, "n2", 0, true))
        expected.remove(Self.acct(3, "n3", 1, false))
        expected.insert(Self.acct(11, "eleven", 0, true))
        expected.insert(Self.acct(3, "three", 0, true))
        #expect(rows == expected)
        _ = try db.read { tx in try Self.snapshot(tx, t, ix) }  // indexes consistent with the rows
    }
}
