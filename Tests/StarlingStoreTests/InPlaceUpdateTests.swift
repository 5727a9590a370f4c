import StarlingTypes
import Testing

@testable import StarlingStore

/// Updates that keep a row's length and every index key are written over the row in place (no
/// index changes). These tests drive every mix of in-place updates with deletes, re-inserts,
/// key-changing updates, commits, rollbacks and captures, and compare with a model.
@Suite struct InPlaceUpdateTests {
    /// `wallet(id u64 pk, owner u32 btree, balance i64, note string)`: balance is never a key, so
    /// changing it (or the note to one of the same length) is an in-place update.
    static let schema = TableSchema(
        name: "wallet", columns: [.init("id", .u64), .init("owner", .u32), .init("balance", .i64), .init("note", .string)],
        primaryKey: 0, indexes: [IndexSchema(name: "", columns: [1])])

    struct Row: Hashable {
        var id: UInt64, owner: UInt32, balance: Int64, note: String
        var bytes: [UInt8] { bsatn([.u64(id), .u32(owner), .i64(balance), .string(note)]) }
    }

    struct Fixture {
        let db: Datastore
        let t: TableId
        let pk: IndexId
        let owner: IndexId

        init() throws {
            let (db, t) = try makeStore(InPlaceUpdateTests.schema)
            (self.db, self.t) = (db, t)
            (pk, owner) = try db.read { tx in
                (try tx.indexId("wallet_id_idx_btree", table: t), try tx.indexId("wallet_owner_idx_btree", table: t))
            }
        }

        func rowId(_ tx: some StoreReading, _ id: UInt64) throws -> RowId? {
            var found: RowId?
            try tx.seek(pk, IndexKey(.u64(id))) { rid, _ in
                found = rid
                return false
            }
            return found
        }

        /// Every row, every pk lookup and every owner lookup agree with `model`.
        func check(_ tx: some StoreReading, _ model: [UInt64: Row], _ context: String) throws {
            var all: [[UInt8]] = []
            try tx.scan(t) { _, row in
                all.append(Array(row))
                return true
            }
            try #require(multiset(all) == multiset(model.values.map(\.bytes)), "scan. \(context)")
            try #require(try tx.rowCount(t) == model.count, "row count. \(context)")
            for id in UInt64(0)..<24 {
                let got = try tx.seekRows(pk, IndexKey(.u64(id)))
                try #require(got == (model[id].map { [$0.bytes] } ?? []), "pk \(id). \(context)")
            }
            for o in UInt32(0)..<4 {
                let got = try tx.seekRows(owner, IndexKey(.u32(o)))
                let want = model.values.filter { $0.owner == o }.map(\.bytes)
                try #require(multiset(got) == multiset(want), "owner \(o). \(context)")
            }
        }
    }

    @Test func aBalanceChangeKeepsTheRowIdAndReportsDeleteAndInsert() throws {
        let f = try Fixture()
        let a = Row(id: 1, owner: 2, balance: 100, note: "ab")
        _ = try f.db.write { tx throws(StoreError) in try tx.insert(f.t, a.bytes) }
        let before = try #require(try f.db.read { tx in try f.rowId(tx, 1) })
        var b = a
        b.balance = 99
        let (rid, delta) = try f.db.write { tx throws(StoreError) -> RowId in
            let rid = try tx.update(index: f.pk, row: b.bytes)
            #expect(try tx.row(f.t, rid) == b.bytes)
            return rid
        }
        #expect(rid == before, "written in place")
        #expect(rowArrays(delta[table: "wallet"]?.deletes) == [a.bytes])
        #expect(rowArrays(delta[table: "wallet"]?.inserts) == [b.bytes])
        try f.db.read { tx in try f.check(tx, [1: b], "after commit") }
    }

    @Test func rollbackWritesTheCommittedBytesBack() throws {
        let f = try Fixture()
        let a = Row(id: 3, owner: 1, balance: 5, note: "xyz")
        _ = try f.db.write { tx throws(StoreError) in try tx.insert(f.t, a.bytes) }
        let tx = f.db.begin()
        var b = a
        b.balance = 6
        try tx.update(index: f.pk, row: b.bytes)
        b.note = "XYZ"
        try tx.update(index: f.pk, row: b.bytes)  // its own row now: in place again, no second before image
        try f.check(tx, [3: b], "inside the transaction")
        try tx.delete(index: f.pk, key: IndexKey(.u64(3)))
        try tx.insert(f.t, Row(id: 3, owner: 0, balance: 1, note: "other length").bytes)  // takes the key
        tx.rollback()
        try f.db.read { tx in try f.check(tx, [3: a], "after rollback") }
    }

    @Test func aCaptureKeepsTheBytesItSaw() throws {
        let f = try Fixture()
        let rows = (0..<20).map { Row(id: UInt64($0), owner: UInt32($0 % 4), balance: 10, note: "n") }
        _ = try f.db.write { tx throws(StoreError) in for r in rows { try tx.insert(f.t, r.bytes) } }
        let capture = f.db.capture()
        _ = try f.db.write { tx throws(StoreError) in
            for r in rows {
                var c = r
                c.balance = 11
                try tx.update(index: f.pk, row: c.bytes)
            }
        }
        var seen: [[UInt8]] = []
        capture.forEachRow(ofTable: capture.tableIds.firstIndex(of: f.t)!) { row in
            seen.append(Array(row))
            return true
        }
        f.db.release(capture)
        #expect(multiset(seen) == multiset(rows.map(\.bytes)))
    }

    @Test(arguments: [UInt64(0x1D_2A7E), 0xBA1A_0CE5, 7])
    func randomTransactionsAgainstAModel(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        func note() -> String { String(repeating: "x", count: pick(3)) }
        let f = try Fixture()
        var committed: [UInt64: Row] = [:]
        var inPlace = 0
        for txNumber in 0..<300 {
            let tx = f.db.begin()
            var m = committed
            for op in 0..<(1 + pick(12)) {
                let context = "seed \(seed) tx \(txNumber) op \(op)"
                let id = UInt64(pick(24))
                switch pick(10) {
                case 0..<3:
                    let r = Row(id: id, owner: UInt32(pick(4)), balance: Int64(pick(5)), note: note())
                    let outcome = Result { () throws(StoreError) in try tx.insert(f.t, r.bytes) }
                    switch outcome {
                    case .success:
                        try #require(m[id] == nil || m[id] == r, "insert over pk \(id) succeeded. \(context)")
                        m[id] = r
                    case .failure(let error):
                        try #require(error.code == .uniqueViolation && m[id] != nil && m[id] != r, "\(error.message). \(context)")
                    }
                case 3..<7:
                    guard var r = m[id] else { continue }
                    switch pick(6) {
                    case 0..<4: r.balance = Int64(pick(5))
                    case 4: r.note = note()
                    default: r.owner = UInt32(pick(4))
                    }
                    let old = try f.rowId(tx, id)
                    let rid = try tx.update(index: f.pk, row: r.bytes)
                    if rid == old && r != m[id] { inPlace += 1 }
                    m[id] = r
                case 7..<9:
                    let n = try tx.delete(index: f.pk, key: IndexKey(.u64(id)))
                    try #require(n == (m[id] == nil ? 0 : 1), "delete pk \(id). \(context)")
                    m[id] = nil
                default:
                    let o = UInt32(pick(4))
                    _ = try tx.delete(index: f.owner, key: IndexKey(.u32(o)))
                    m = m.filter { $0.value.owner != o }
                }
                if pick(4) == 0 { try f.check(tx, m, "inside. \(context)") }
            }
            let context = "seed \(seed) tx \(txNumber)"
            if pick(3) == 0 {
                tx.rollback()
            } else {
                let delta = try tx.commit()
                let before = Set(committed.values.map(\.bytes)), after = Set(m.values.map(\.bytes))
                let d = delta[table: "wallet"]
                try #require(multiset(rowArrays(d?.inserts)) == multiset(after.subtracting(before)), "delta inserts. \(context)")
                try #require(multiset(rowArrays(d?.deletes)) == multiset(before.subtracting(after)), "delta deletes. \(context)")
                committed = m
            }
            try f.db.read { tx in try f.check(tx, committed, "after. \(context)") }
        }
        #expect(inPlace > 50, "the workload should update in place often (\(inPlace) times)")
    }
}
