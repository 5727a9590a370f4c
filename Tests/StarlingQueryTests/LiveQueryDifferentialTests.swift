import StarlingStore
import StarlingTypes
import Testing

@testable import StarlingQuery

/// Incremental view maintenance against the plain executor: random schemas, data, transactions and
/// subscription queries (joins of up to four tables, self-joins included). After every
/// transaction, the counts before plus the computed count delta must equal the counts re-run
/// after it (bag semantics), the set-level update must turn the old result into the new one, and
/// the pruning index must offer every query whose result changed.
struct LiveQueryDifferentialTests {
    struct World {
        var db: Datastore
        var schemas: [TableSchema]
        var ids: [TableId]
        var nextId: UInt64 = 1000
    }

    static let strings = ["", "a", "b", "é"]

    /// Tables `a`, `b`, `c`: `id` (primary key), `k` (u8) and `s` (string) in every one so joins
    /// meet, and random extra columns and indexes.
    static func makeWorld(_ rng: inout SplitMix64) throws -> World {
        let db = Datastore()
        var schemas: [TableSchema] = []
        for name in ["a", "b", "c"] {
            var columns: [ColumnSchema] = [.init("id", .u64), .init("k", .u8), .init("s", .string)]
            if Bool.random(using: &rng) { columns.append(.init("n", .i32)) }
            if Bool.random(using: &rng) { columns.append(.init("o", .option(.u8))) }
            if Bool.random(using: &rng) { columns.append(.init("f", .f64)) }
            let choices: [[IndexSchema]] = [
                [], [IndexSchema(name: "\(name)_k", columns: [1])],
                [IndexSchema(name: "\(name)_k", columns: [1], algorithm: .hash)],
                [IndexSchema(name: "\(name)_k_s", columns: [1, 2])],
                [IndexSchema(name: "\(name)_s", columns: [2], algorithm: .hash), IndexSchema(name: "\(name)_k", columns: [1])],
            ]
            schemas.append(
                TableSchema(name: name, columns: columns, primaryKey: 0, indexes: choices.randomElement(using: &rng)!))
        }
        var world = World(db: db, schemas: schemas, ids: [])
        let created = try db.write { tx throws(StoreError) in
            try schemas.map { (s) throws(StoreError) in try tx.createTable(s) }
        }
        world.ids = created.value
        _ = try db.write { tx throws(StoreError) in
            for t in 0..<3 {
                for _ in 0..<Int.random(in: 8...25, using: &rng) { try tx.insert(world.ids[t], values: Self.row(&world, t, &rng)) }
            }
        }
        return world
    }

    static func row(_ w: inout World, _ t: Int, _ rng: inout SplitMix64, id: UInt64? = nil) -> [AlgebraicValue] {
        let rowId: UInt64
        if let id {
            rowId = id
        } else {
            w.nextId += 1
            rowId = w.nextId
        }
        return w.schemas[t].columns.map { c in
            switch c.name {
            case "id": .u64(rowId)
            case "k": .u8(UInt8.random(in: 0..<4, using: &rng))
            case "s": .string(strings.randomElement(using: &rng)!)
            case "n": .i32(Int32.random(in: -2..<3, using: &rng))
            case "o": Int.random(in: 0..<3, using: &rng) == 0 ? .option(nil) : .option(.u8(UInt8.random(in: 0..<4, using: &rng)))
            default: .f64([-0.0, 0.0, 1.5, .nan].randomElement(using: &rng)!)
            }
        }
    }

    /// A random transaction: inserts, deletes and updates (same id, new values) across the tables.
    static func transaction(_ w: inout World, _ rng: inout SplitMix64) throws -> TxDelta {
        var plans: [(table: Int, delete: [UInt8]?, insert: [AlgebraicValue]?)] = []
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let t = Int.random(in: 0..<3, using: &rng)
            let existing = try w.db.read { tx throws(StoreError) in try tx.rows(w.ids[t]) }
            let victim = existing.randomElement(using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: plans.append((t, nil, row(&w, t, &rng)))
            case 1: if let victim { plans.append((t, victim, nil)) }
            default:
                guard let victim,
                    case .product(let old)? = try? AlgebraicValue.decode(.product(w.schemas[t].rowType), from: victim),
                    case .u64(let id) = old[0]
                else { continue }
                plans.append((t, victim, row(&w, t, &rng, id: id)))
            }
        }
        let ids = w.ids
        return try w.db.write { tx throws(StoreError) in
            for p in plans {
                if let d = p.delete { _ = try tx.delete(ids[p.table], row: d) }
                if let i = p.insert { _ = try? tx.insert(ids[p.table], values: i) }
            }
        }.delta
    }

    /// A random subscription: 1–4 references to the tables (aliases `t0`…), each joined to an
    /// earlier one on `k` or `s`, a random WHERE, returning the rows of one of them.
    static func query(_ w: World, _ rng: inout SplitMix64) -> String {
        let n = [1, 1, 2, 2, 3, 4].randomElement(using: &rng)!
        let refs = (0..<n).map { _ in Int.random(in: 0..<3, using: &rng) }
        var sql = "SELECT t\(Int.random(in: 0..<n, using: &rng)).* FROM \(w.schemas[refs[0]].name) t0"
        for i in 1..<max(n, 1) where n > 1 {
            let j = Int.random(in: 0..<i, using: &rng)
            let col = Bool.random(using: &rng) ? "k" : "s"
            sql += " JOIN \(w.schemas[refs[i]].name) t\(i) ON t\(i).\(col) = t\(j).\(col)"
            if Int.random(in: 0..<4, using: &rng) == 0 { sql += " AND t\(i).k >= t\(j).k" }
        }
        var conds: [String] = []
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let t = Int.random(in: 0..<n, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0, 1: conds.append("t\(t).k = \(Int.random(in: 0..<4, using: &rng))")
            case 2: conds.append("t\(t).k \(["<", ">=", "!="].randomElement(using: &rng)!) \(Int.random(in: 0..<4, using: &rng))")
            case 3: conds.append("t\(t).s = '\(strings.randomElement(using: &rng)!)'")
            default: conds.append("t\(t).id > \(1000 + Int.random(in: 0..<40, using: &rng))")
            }
        }
        if !conds.isEmpty { sql += " WHERE " + conds.joined(separator: Bool.random(using: &rng) ? " AND " : " OR ") }
        return sql
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64]) func deltasMatchRerunning(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var world = try Self.makeWorld(&rng)
        var context = QueryContext.owner(.zero)
        context.useIndexes = seed % 3 != 0
        let queries = try (0..<25).map { _ in
            let sql = Self.query(world, &rng)
            return try world.db.read { tx throws(SQLError) in try LiveQuery.compile(sql, in: tx, context: context) }
        }
        var index = LiveQueryIndex<Int>()
        for (i, q) in queries.enumerated() { index.insert(i, q) }
        var changedResults = 0
        for _ in 0..<30 {
            let before = try queries.map { q in try world.db.read { tx throws(SQLError) in try q.counts(in: tx) } }
            let delta = try Self.transaction(&world, &rng)
            let changes = TxChanges(delta)
            let candidates = try index.candidates(changes)
            for (i, q) in queries.enumerated() {
                let (after, countDelta, update) = try world.db.read { tx throws(SQLError) in
                    (try q.counts(in: tx), try q.countDelta(for: changes, in: tx), try q.update(for: changes, in: tx))
                }
                var expected = before[i]
                for (row, d) in countDelta { expected[row, default: 0] += d }
                expected = expected.filter { $0.value != 0 }
                #expect(expected == after, "bag delta of \(q.text)")
                var set = Set(before[i].keys)
                #expect(Set(update.inserts).isDisjoint(with: set), "insert of a row already there: \(q.text)")
                #expect(Set(update.deletes).isSubset(of: set), "delete of a row not there: \(q.text)")
                set.subtract(update.deletes)
                set.formUnion(update.inserts)
                #expect(set == Set(after.keys), "set update of \(q.text)")
                if before[i] != after {
                    changedResults += 1
                    #expect(candidates.contains(i), "pruned a query whose result changed: \(q.text)")
                }
            }
        }
        // The generator must produce transactions that change results, joins included.
        #expect(changedResults > 30)
    }
}
