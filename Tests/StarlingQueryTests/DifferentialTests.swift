import StarlingQuery
import StarlingStore
import StarlingTypes
import Testing

/// The index paths of the planner must return exactly what scanning returns: random tables,
/// random queries, each run with indexes allowed and with the planner forced to scan.
struct DifferentialTests {
    /// `t`: single- and multi-column btree indexes, a hash index, a float index (with NaN, ±0,
    /// ±infinity stored), an option index. `u`: joined to `t` on indexed and unindexed columns.
    static let t = TableSchema(
        name: "t",
        columns: [
            .init("id", .u64), .init("a", .u8), .init("b", .i32), .init("c", .f64), .init("d", .string),
            .init("e", .option(.u32)), .init("g", .i64),
        ],
        primaryKey: 0,
        indexes: [
            IndexSchema(name: "t_a", columns: [1]), IndexSchema(name: "t_a_b", columns: [1, 2]),
            IndexSchema(name: "t_c", columns: [3]), IndexSchema(name: "t_d", columns: [4], algorithm: .hash),
            IndexSchema(name: "t_e", columns: [5]), IndexSchema(name: "t_b_d", columns: [2, 4], algorithm: .hash),
        ])
    static let u = TableSchema(
        name: "u",
        columns: [
            .init("x", .u64), .init("y", .u8), .init("z", .string), .init("w", .i32), .init("v", .option(.u32)),
            .init("f", .f64),
        ],
        indexes: [
            IndexSchema(name: "u_y", columns: [1]), IndexSchema(name: "u_z", columns: [2], algorithm: .hash),
            IndexSchema(name: "u_v", columns: [4]), IndexSchema(name: "u_f", columns: [5]),
        ])

    static let strings = ["", "a", "ab", "b", "é", "zz"]
    static let floats: [Double] = [-.infinity, -2.5, -0.0, 0.0, 1.0, 2.5, .infinity, .nan, 7]

    static func makeStore(seed: UInt64) throws -> Datastore {
        var rng = SplitMix64(seed: seed)
        let db = Datastore()
        _ = try db.write { tx throws(StoreError) in
            let t = try tx.createTable(Self.t)
            let u = try tx.createTable(Self.u)
            for id in 1...120 {
                let e: AlgebraicValue =
                    Int.random(in: 0..<4, using: &rng) == 0
                    ? .option(nil) : .option(.u32(UInt32.random(in: 0..<5, using: &rng)))
                try tx.insert(
                    t,
                    values: [
                        .u64(UInt64(id)), .u8(UInt8.random(in: 0..<8, using: &rng)),
                        .i32(Int32.random(in: -3..<4, using: &rng)),
                        .f64(floats.randomElement(using: &rng)!), .string(strings.randomElement(using: &rng)!), e,
                        .i64(Int64.random(in: -2..<3, using: &rng)),
                    ])
            }
            for x in 1...40 {
                try tx.insert(
                    u,
                    values: [
                        .u64(UInt64(x)), .u8(UInt8.random(in: 0..<8, using: &rng)),
                        .string(strings.randomElement(using: &rng)!),
                        .i32(Int32.random(in: -3..<4, using: &rng)),
                        Bool.random(using: &rng) ? .option(nil) : .option(.u32(UInt32.random(in: 0..<5, using: &rng))),
                        .f64(floats.randomElement(using: &rng)!),
                    ])
            }
        }
        return db
    }

    /// A random condition over `t` (qualified by `q`), leaning on indexed columns.
    static func condition(_ q: String, _ rng: inout SplitMix64) -> String {
        let ops = ["=", "=", "<", "<=", ">", ">=", "!="]
        func op() -> String { ops.randomElement(using: &rng)! }
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return "\(q)a \(op()) \(Int.random(in: 0..<9, using: &rng))"
        case 1: return "\(q)b \(op()) \(Int.random(in: -4..<5, using: &rng))"
        case 2:
            return
                "\(q)c \(op()) \(["-2.5", "0", "-0.0", "1", "2.5", "7", "1e300", "-1e300"].randomElement(using: &rng)!)"
        case 3: return "\(q)d \(op()) '\(strings.randomElement(using: &rng)!)'"
        case 4: return "\(q)e \(op()) \(Int.random(in: 0..<6, using: &rng))"
        case 5: return "\(q)e IS \(Bool.random(using: &rng) ? "NOT " : "")NULL"
        case 6:
            return
                "\(q)a = \(Int.random(in: 0..<8, using: &rng)) AND \(q)b \(op()) \(Int.random(in: -3..<4, using: &rng))"
        case 7:
            return "\(q)b = \(Int.random(in: -3..<4, using: &rng)) AND \(q)d = '\(strings.randomElement(using: &rng)!)'"
        default: return "\(q)g \(op()) \(q)b"
        }
    }

    static func query(_ rng: inout SplitMix64) -> String {
        var conds: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) { conds.append(condition("t.", &rng)) }
        var where_ = conds.joined(separator: Bool.random(using: &rng) ? " AND " : " OR ")
        if Int.random(in: 0..<5, using: &rng) == 0 { where_ = "NOT (\(where_))" }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            return "SELECT t.* FROM t WHERE \(where_)"
        case 1:
            let on = [
                "u.y = t.a", "t.a = u.y", "u.z = t.d", "u.w = t.b", "u.y = t.a AND u.z = t.d", "u.x = t.g", "u.v = t.e",
                "u.f = t.c", "u.f = t.b",
            ]
            .randomElement(using: &rng)!
            let extra =
                Bool.random(using: &rng)
                ? " AND u.y \(["<", ">=", "="].randomElement(using: &rng)!) \(Int.random(in: 0..<8, using: &rng))" : ""
            return "SELECT t.id, u.x FROM t JOIN u ON \(on)\(extra) WHERE \(where_)"
        case 2:
            return "SELECT t.id, u.x FROM u JOIN t ON t.a = u.y AND t.b = u.w WHERE \(where_)"
        default:
            return "SELECT COUNT(*) FROM t WHERE \(where_)"
        }
    }

    static func rows(_ db: Datastore, _ sql: String, indexes: Bool) throws -> [String] {
        var context = QueryContext.owner(.zero)
        context.useIndexes = indexes
        let result = try db.read { tx throws(SQLError) in try QueryEngine.query(sql, in: tx, context: context) }
        return (result[0].json["rows"]?.arrayValue ?? []).map(\.text).sorted()
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64]) func indexPathsMatchScans(seed: UInt64) throws {
        let db = try Self.makeStore(seed: seed)
        var rng = SplitMix64(seed: seed &* 7919)
        var usedIndex = 0
        for _ in 0..<150 {
            let sql = Self.query(&rng)
            let fast = try Self.rows(db, sql, indexes: true)
            let slow = try Self.rows(db, sql, indexes: false)
            #expect(fast == slow, "\(sql)")
            let plan = try db.read { tx throws(SQLError) in
                try QueryEngine.query("EXPLAIN " + sql, in: tx, context: .owner(.zero))
            }
            if plan[0].rows.contains(where: { "\($0)".contains("Index") }) { usedIndex += 1 }
        }
        // The generator must exercise the index paths, not only scans.
        #expect(usedIndex > 60)
    }

    /// Differential on ordered output too: ORDER BY over every column makes the order total.
    @Test func orderedResultsMatch() throws {
        let db = try Self.makeStore(seed: 99)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<60 {
            let sql = "SELECT * FROM t WHERE \(Self.condition("", &rng)) ORDER BY c DESC, d, id LIMIT 17"
            var on = QueryContext.owner(.zero)
            var off = on
            off.useIndexes = false
            on.useIndexes = true
            let a = try db.read { tx throws(SQLError) in try QueryEngine.query(sql, in: tx, context: on) }
            let b = try db.read { tx throws(SQLError) in try QueryEngine.query(sql, in: tx, context: off) }
            #expect(a[0].json.text == b[0].json.text, "\(sql)")
        }
    }
}
