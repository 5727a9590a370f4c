import StarlingTypes
import Testing

@testable import StarlingStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SplitMix64 {
    fileprivate mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    fileprivate mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
}

/// Seeds of the randomized tests: `STARLING_MODEL_SEED` (one seed) overrides the fixed ones.
private let modelSeeds: [UInt64] = {
    if let s = Environment.seed { return [s] }
    return [0x5EED_0001, 0xC0FF_EE42, 20_261_124]
}()

private enum Environment {
    static var seed: UInt64? {
        guard let p = getenv("STARLING_MODEL_SEED") else { return nil }
        return UInt64(String(cString: p))
    }
}

/// What the model says an operation must do.
private enum Outcome: Equatable, CustomStringConvertible {
    case ok
    case fails(StoreError.Code)
    var description: String {
        switch self {
        case .ok: "success"
        case .fails(let c): "\(c)"
        }
    }
}

/// Runs a store operation and checks success/failure against the model's prediction; returns
/// whether it succeeded.
private func run(_ expected: Outcome, _ context: @autoclosure () -> String, _ body: () throws(StoreError) -> Void) throws -> Bool
{
    do throws(StoreError) {
        try body()
    } catch {
        try #require(
            expected == .fails(error.code),
            "store failed with \(error.code) (\(error.message)); model expected \(expected). \(context())")
        return false
    }
    try #require(expected == .ok, "store succeeded; model expected \(expected). \(context())")
    return true
}

private func bounds(_ rng: inout SplitMix64, _ range: ClosedRange<Int>) -> (ValueBound, ValueBound, IndexBound, IndexBound) {
    func one(_ rng: inout SplitMix64) -> ValueBound {
        switch rng.int(0...4) {
        case 0: .unbounded
        case 1, 2: .included([.i32(Int32(rng.int(range)))])
        default: .excluded([.i32(Int32(rng.int(range)))])
        }
    }
    let lo = one(&rng)
    let hi = one(&rng)
    return (lo, hi, lo.indexBound, hi.indexBound)
}

struct ModelTests {
    // MARK: table with unique indexes

    /// id u64 (primary key, no sequence), name string (unique), score i32 (btree), flag bool (hash).
    struct Row: Hashable, CustomStringConvertible {
        var id: UInt64
        var name: String
        var score: Int32
        var flag: Bool
        var values: [AlgebraicValue] { [.u64(id), .string(name), .i32(score), .bool(flag)] }
        var bytes: [UInt8] { bsatn(values) }
        var description: String { "(\(id), \(name), \(score), \(flag))" }
    }

    struct Model {
        var byId: [UInt64: Row] = [:]
        var idByName: [String: UInt64] = [:]
        /// In id order, so that random picks depend on the seed only.
        var rows: [Row] { byId.values.sorted { $0.id < $1.id } }

        mutating func add(_ r: Row) {
            byId[r.id] = r
            idByName[r.name] = r.id
        }
        /// Rows removed since the transaction began (for re-inserts).
        var removed: [Row] = []
        mutating func remove(_ r: Row) {
            byId[r.id] = nil
            idByName[r.name] = nil
            removed.append(r)
        }
        fileprivate func insertOutcome(_ r: Row) -> Outcome {
            if let old = byId[r.id] { return old == r ? .ok : .fails(.uniqueViolation) }
            return idByName[r.name] == nil ? .ok : .fails(.uniqueViolation)
        }
    }

    static let names = (0..<30).map { "p\($0)" }
    static let rowSchema = TransactionTests.acctSchema("m")

    fileprivate static func randomRow(_ rng: inout SplitMix64, _ m: Model, removed: [Row] = []) -> Row {
        if rng.chance(0.15), let r = m.rows.randomElement(using: &rng) { return r }
        // Re-inserting a row deleted earlier in the transaction (the delta must cancel it out).
        if rng.chance(0.2), let r = removed.randomElement(using: &rng) { return r }
        return Row(
            id: UInt64(rng.int(0...39)), name: names.randomElement(using: &rng)!, score: Int32(rng.int(-20...20)),
            flag: rng.chance(0.5))
    }

    /// Compares the committed store with the model: scan, every index, random score ranges.
    fileprivate static func compare(
        _ tx: some StoreReading, _ t: TableId, _ ix: TransactionTests.Indexes, _ m: Model, _ rng: inout SplitMix64,
        _ context: String
    ) throws {
        let expected = multiset(m.rows.map(\.bytes))
        try #require(multiset(try tx.rows(t)) == expected, "scan differs. \(context)")
        try #require(try tx.rowCount(t) == m.byId.count, "row count. \(context)")
        for id in UInt64(0)...40 {
            let want = m.byId[id].map { [$0.bytes] } ?? []
            try #require(try tx.seekRows(ix.pk, IndexKey(.u64(id))) == want, "pk seek \(id). \(context)")
        }
        for n in names {
            let want = m.idByName[n].map { [m.byId[$0]!.bytes] } ?? []
            try #require(try tx.seekRows(ix.name, IndexKey(.string(n))) == want, "name seek \(n). \(context)")
        }
        for _ in 0..<8 {
            let s = Int32(rng.int(-21...21))
            let want = multiset(m.rows.filter { $0.score == s }.map(\.bytes))
            try #require(multiset(try tx.seekRows(ix.score, IndexKey(.i32(s)))) == want, "score seek \(s). \(context)")
        }
        for f in [false, true] {
            let want = multiset(m.rows.filter { $0.flag == f }.map(\.bytes))
            try #require(multiset(try tx.seekRows(ix.flag, IndexKey(.bool(f)))) == want, "flag seek \(f). \(context)")
        }
        for _ in 0..<4 {
            let (lo, hi, l, h) = bounds(&rng, -22...22)
            let want = m.rows.filter { lo.admitsAsLower([.i32($0.score)]) && hi.admitsAsUpper([.i32($0.score)]) }
            let got = try tx.rangeRows(ix.score, from: l, to: h)
            try #require(multiset(got) == multiset(want.map(\.bytes)), "score range \(lo) ... \(hi). \(context)")
            let scores = got.map { bytes -> Int32 in
                guard case .i32(let s) = decodeRow(rowSchema, bytes)[2] else { preconditionFailure() }
                return s
            }
            try #require(scores == scores.sorted(), "score range out of order. \(context)")
        }
    }

    /// Checks a commit's delta against the model's before/after difference.
    static func checkDelta(_ delta: TxDelta, table: String, before: [[UInt8]: Int], after: [[UInt8]: Int], _ context: String)
        throws
    {
        let inserts = after.filter { before[$0.key] == nil }
        let deletes = before.filter { after[$0.key] == nil }
        try #require(
            delta.tables.allSatisfy { $0.tableName == table }, "unexpected tables \(delta.tables.map(\.tableName)). \(context)")
        guard let d = delta[table: table] else {
            try #require(
                inserts.isEmpty && deletes.isEmpty, "no delta, model changed \(inserts.count)+/\(deletes.count)-. \(context)")
            return
        }
        try #require(!(d.inserts.isEmpty && d.deletes.isEmpty), "an empty table delta. \(context)")
        try #require(multiset(d.inserts.arrays) == inserts, "delta inserts. \(context)")
        try #require(multiset(d.deletes.arrays) == deletes, "delta deletes. \(context)")
    }

    @Test(arguments: modelSeeds)
    func randomTransactionsAgainstAModel(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let (db, t) = try makeStore(TransactionTests.acctSchema("m"))
        let ix = try db.read { tx in try TransactionTests.Indexes(tx, t, table: "m") }
        var committed = Model()
        var stats = (commits: 0, rollbacks: 0, failures: 0, ops: 0)
        for txNumber in 0..<120 {
            let tx = db.begin()
            var m = committed
            m.removed = []
            for opNumber in 0..<rng.int(1...20) {
                let context = "seed \(seed) tx \(txNumber) op \(opNumber)"
                stats.ops += 1
                var ok = true
                switch rng.int(0...99) {
                case 0..<35:
                    let r = Self.randomRow(&rng, m, removed: m.removed)
                    ok = try run(m.insertOutcome(r), "insert \(r). \(context)") { () throws(StoreError) in
                        try tx.insert(t, r.bytes)
                    }
                    if ok { m.add(r) }
                case 35..<45:
                    guard let r = m.rows.randomElement(using: &rng) else { continue }
                    var rid: RowId?
                    try tx.seek(ix.pk, IndexKey(.u64(r.id))) { id, _ in
                        rid = id
                        return false
                    }
                    let found = try #require(rid, "pk seek found no row for \(r). \(context)")
                    try tx.delete(t, found)
                    m.remove(r)
                case 45..<55:
                    let id = UInt64(rng.int(0...39))
                    let n = try tx.delete(index: ix.pk, key: IndexKey(.u64(id)))
                    try #require(n == (m.byId[id] == nil ? 0 : 1), "delete pk \(id) → \(n). \(context)")
                    if let r = m.byId[id] { m.remove(r) }
                case 55..<65:
                    var r = m.rows.randomElement(using: &rng) ?? Self.randomRow(&rng, m)
                    if rng.chance(0.3) { r.score &+= 1 }  // a row that differs from the stored one
                    let deleted = try tx.delete(t, row: r.bytes)
                    try #require(deleted == (m.byId[r.id] == r), "delete value \(r) → \(deleted). \(context)")
                    if deleted { m.remove(r) }
                case 65..<80:
                    var r = Self.randomRow(&rng, m)
                    if rng.chance(0.6), let old = m.rows.randomElement(using: &rng) { r.id = old.id }
                    let expected: Outcome
                    if m.byId[r.id] == nil {
                        expected = .fails(.rowNotFound)
                    } else if let other = m.idByName[r.name], other != r.id {
                        expected = .fails(.uniqueViolation)
                    } else {
                        expected = .ok
                    }
                    ok = try run(expected, "update by pk \(r). \(context)") { () throws(StoreError) in
                        try tx.update(index: ix.pk, row: r.bytes)
                    }
                    if ok {
                        m.remove(m.byId[r.id]!)
                        m.add(r)
                    }
                case 80..<88:
                    var r = Self.randomRow(&rng, m)
                    if rng.chance(0.6), let old = m.rows.randomElement(using: &rng) { r.name = old.name }
                    let expected: Outcome
                    if let oldId = m.idByName[r.name] {
                        expected = oldId != r.id && m.byId[r.id] != nil ? .fails(.uniqueViolation) : .ok
                    } else {
                        expected = .fails(.rowNotFound)
                    }
                    ok = try run(expected, "update by name \(r). \(context)") { () throws(StoreError) in
                        try tx.update(index: ix.name, row: r.bytes)
                    }
                    if ok {
                        m.remove(m.byId[m.idByName[r.name]!]!)
                        m.add(r)
                    }
                case 88..<94:
                    let (lo, hi, l, h) = bounds(&rng, -20...20)
                    let doomed = m.rows.filter { lo.admitsAsLower([.i32($0.score)]) && hi.admitsAsUpper([.i32($0.score)]) }
                    let n = try tx.delete(index: ix.score, from: l, to: h)
                    try #require(n == doomed.count, "delete score range \(lo) ... \(hi) → \(n). \(context)")
                    for r in doomed { m.remove(r) }
                case 94..<96:
                    let f = rng.chance(0.5)
                    let doomed = m.rows.filter { $0.flag == f }
                    try #require(
                        try tx.delete(index: ix.flag, key: IndexKey(.bool(f))) == doomed.count, "delete flag. \(context)")
                    for r in doomed { m.remove(r) }
                case 96..<98:
                    ok = try run(.fails(.typeMismatch), "bad row. \(context)") { () throws(StoreError) in
                        try tx.insert(t, Array(Self.randomRow(&rng, m).bytes.dropLast()))
                    }
                default:
                    if rng.chance(0.3) {
                        try #require(try tx.clear(t) == m.byId.count, "clear. \(context)")
                        m = Model(removed: m.removed + m.rows)
                    }
                }
                if !ok { stats.failures += 1 }
            }
            let context = "seed \(seed) tx \(txNumber)"
            if rng.chance(0.25) { try Self.compare(tx, t, ix, m, &rng, "inside the tx, \(context)") }
            if rng.chance(0.65) {
                let delta = try tx.commit()
                try Self.checkDelta(
                    delta, table: "m", before: multiset(committed.rows.map(\.bytes)), after: multiset(m.rows.map(\.bytes)),
                    context)
                committed = m
                stats.commits += 1
            } else {
                tx.rollback()
                stats.rollbacks += 1
            }
            try db.read { tx in try Self.compare(tx, t, ix, committed, &rng, "after \(context)") }
        }
        // The run exercised what it claims to.
        #expect(stats.commits > 50 && stats.rollbacks > 20 && stats.failures > 30, "\(stats), seed \(seed)")
    }

    // MARK: table without unique indexes

    /// a u8 (btree), b string, c bool (hash); no unique index: duplicates are found by row hash.
    struct BagRow: Hashable {
        var a: UInt8
        var b: String
        var c: Bool
        var bytes: [UInt8] { bsatn([.u8(a), .string(b), .bool(c)]) }
    }

    fileprivate static func randomBagRow(_ rng: inout SplitMix64) -> BagRow {
        BagRow(a: UInt8(rng.int(0...7)), b: ["", "x", "y", "xy", "\0", "x\0"].randomElement(using: &rng)!, c: rng.chance(0.5))
    }

    @Test(arguments: modelSeeds)
    func setSemanticsWithoutUniqueIndexes(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed ^ 0xBA6)
        let schema = TableSchema(
            name: "bag", columns: [.init("a", .u8), .init("b", .string), .init("c", .bool)],
            indexes: [IndexSchema(name: "", columns: [0]), IndexSchema(name: "", columns: [2], algorithm: .hash)])
        let (db, t) = try makeStore(schema)
        let (ia, ic) = try db.read { tx in
            (try tx.indexId("bag_a_idx_btree", table: t), try tx.indexId("bag_c_idx_hash", table: t))
        }
        var committed = Set<BagRow>()
        func compare(_ tx: some StoreReading, _ m: Set<BagRow>, _ context: String) throws {
            let rows = try tx.rows(t)
            try #require(
                rows.count == m.count && Set(rows) == Set(m.map(\.bytes)),
                "scan differs (\(rows.count) vs \(m.count)). \(context)")
            for a in UInt8(0)...8 {
                let want = Set(m.filter { $0.a == a }.map(\.bytes))
                let got = try tx.seekRows(ia, IndexKey(.u8(a)))
                try #require(got.count == want.count && Set(got) == want, "seek a = \(a). \(context)")
            }
            for c in [false, true] {
                try #require(
                    Set(try tx.seekRows(ic, IndexKey(.bool(c)))) == Set(m.filter { $0.c == c }.map(\.bytes)), "seek c. \(context)"
                )
            }
            let lo = UInt8(rng.int(0...8))
            let got = try tx.rangeRows(ia, from: .excluded(IndexKey(.u8(lo))), to: .unbounded)
            try #require(
                Set(got) == Set(m.filter { $0.a > lo }.map(\.bytes)) && got.count == m.filter { $0.a > lo }.count,
                "range a > \(lo). \(context)")
        }
        for txNumber in 0..<120 {
            let tx = db.begin()
            var m = committed
            for opNumber in 0..<rng.int(1...20) {
                let context = "seed \(seed) tx \(txNumber) op \(opNumber)"
                switch rng.int(0...99) {
                case 0..<45:
                    let r = Self.randomBagRow(&rng)
                    let rid = try tx.insert(t, r.bytes)
                    try #require(try tx.row(t, rid) == r.bytes, "insert returns the row's id. \(context)")
                    m.insert(r)
                case 45..<65:
                    let r = Self.randomBagRow(&rng)
                    let deleted = try tx.delete(t, row: r.bytes)
                    try #require(deleted == m.contains(r), "delete value \(r) → \(deleted). \(context)")
                    m.remove(r)
                case 65..<78:
                    var victim: (RowId, [UInt8])?
                    let skip = rng.int(0...max(0, m.count - 1))
                    var i = 0
                    try tx.scan(t) { id, bytes in
                        if i == skip { victim = (id, Array(bytes)) }
                        i += 1
                        return victim == nil
                    }
                    guard let v = victim else { continue }
                    let (rid, bytes) = v
                    try tx.delete(t, rid)
                    let r = try #require(m.first { $0.bytes == bytes }, "scanned a row the model lacks. \(context)")
                    m.remove(r)
                case 78..<88:
                    let a = UInt8(rng.int(0...7))
                    try #require(
                        try tx.delete(index: ia, key: IndexKey(.u8(a))) == m.filter { $0.a == a }.count,
                        "delete a = \(a). \(context)")
                    m = m.filter { $0.a != a }
                case 88..<94:
                    let (lo, hi) = (UInt8(rng.int(0...7)), UInt8(rng.int(0...7)))
                    let n = try tx.delete(index: ia, from: .included(IndexKey(.u8(lo))), to: .excluded(IndexKey(.u8(hi))))
                    try #require(n == m.filter { $0.a >= lo && $0.a < hi }.count, "delete range [\(lo), \(hi)). \(context)")
                    m = m.filter { !($0.a >= lo && $0.a < hi) }
                case 94..<98:
                    _ = try run(.fails(.typeMismatch), "bad bool. \(context)") { () throws(StoreError) in
                        try tx.insert(t, bsatn([.u8(1), .string("x"), .u8(7)]))
                    }
                default:
                    if rng.chance(0.3) {
                        try #require(try tx.clear(t) == m.count, "clear. \(context)")
                        m = []
                    }
                }
            }
            let context = "seed \(seed) tx \(txNumber)"
            if rng.chance(0.25) { try compare(tx, m, "inside the tx, \(context)") }
            if rng.chance(0.65) {
                let delta = try tx.commit()
                try Self.checkDelta(
                    delta, table: "bag", before: multiset(committed.map(\.bytes)), after: multiset(m.map(\.bytes)), context)
                committed = m
            } else {
                tx.rollback()
            }
            try db.read { tx in try compare(tx, committed, "after \(context)") }
        }
    }
}
