import Foundation
import StarlingQuery
import StarlingStore
import StarlingTypes

/// The live-query engine alone (no server, no network): what one transaction costs the
/// subscriptions as their number grows, and what a shared query costs per transaction.
///
/// - Distinct point queries `SELECT * FROM account WHERE id = k` for k in 0..<N, N = 1k, 10k, 100k:
///   a transaction changing one row should cost the same whatever N (pruning by required value).
/// - One filtered query on the 100k-row table, and a join of three tables, updated per transaction.
struct SubscriptionBenchmark {
    let options: [String: Int]

    static let account = TableSchema(
        name: "account", columns: [.init("id", .u64), .init("owner", .u32), .init("balance", .i64)], primaryKey: 0,
        indexes: [IndexSchema(name: "account_owner", columns: [1])])
    static let owner = TableSchema(
        name: "owner", columns: [.init("id", .u32), .init("region", .u8)], primaryKey: 0,
        indexes: [IndexSchema(name: "owner_region", columns: [1])])
    static let region = TableSchema(
        name: "region", columns: [.init("id", .u8), .init("open", .bool)], primaryKey: 0)

    func run() {
        let rows = UInt64(options["accounts"] ?? 100_000)
        let txs = options["sub-txs"] ?? 20_000
        let store = Datastore()
        let (tables, _) = try! store.write { tx throws(StoreError) in
            let a = try tx.createTable(Self.account)
            let o = try tx.createTable(Self.owner)
            let r = try tx.createTable(Self.region)
            for id in 0..<rows { try tx.insert(a, values: [.u64(id), .u32(UInt32(id % 10_000)), .i64(1000)]) }
            for id in 0..<UInt32(10_000) { try tx.insert(o, values: [.u32(id), .u8(UInt8(id % 50))]) }
            for id in 0..<UInt8(50) { try tx.insert(r, values: [.u8(id), .bool(id % 2 == 0)]) }
            return [a, o, r]
        }
        print("subscriptions: \(rows) accounts, \(txs) transactions per figure, each changing one account's balance")
        for n in [1_000, 10_000, 100_000] where UInt64(n) <= rows {
            let queries = (0..<n).map { "SELECT * FROM account WHERE id = \($0)" }
            measure("\(n) distinct point queries", store, tables[0], queries, txs)
        }
        measure("1 query, WHERE balance > 500 (every account)", store, tables[0], ["SELECT * FROM account WHERE balance > 500"], txs)
        measure(
            "1 join of 3 tables (account ⋈ owner ⋈ region)", store, tables[0],
            ["SELECT a.* FROM account a JOIN owner o ON o.id = a.owner JOIN region r ON r.id = o.region WHERE r.open"], txs)
    }

    /// Compiles `queries`, then runs `txs` transactions that each add 1 to a random account's
    /// balance and updates every live query; prints the time per transaction spent on them.
    private func measure(_ label: String, _ store: Datastore, _ table: TableId, _ queries: [String], _ txs: Int) {
        let context = QueryContext.owner(.zero)
        var index = LiveQueryIndex<Int>()
        var compiled: [LiveQuery] = []
        let compileStart = ContinuousClock.now
        for (i, q) in queries.enumerated() {
            let live = try! store.read { tx throws(SQLError) in try LiveQuery.compile(q, in: tx, context: context) }
            compiled.append(live)
            index.insert(i, live)
        }
        let compileTime = ContinuousClock.now - compileStart
        var rng = SplitMix64(seed: 42)
        let accounts = UInt64(options["accounts"] ?? 100_000)
        let window = UInt64(min(queries.count, Int(accounts)))
        var engine = Duration.zero
        var evaluated = 0
        var changedRows = 0
        for _ in 0..<txs {
            let id = rng.next() % window
            let (_, delta) = try! store.write { tx throws(StoreError) in
                let key = IndexKey([.u64(id)])
                let old = try tx.seekRows(try tx.indexId(columns: ["id"], table: table)!, key)[0]
                guard case .product(let v)? = try? AlgebraicValue.decode(.product(Self.account.rowType), from: old),
                    case .i64(let balance) = v[2]
                else { return }
                _ = try tx.delete(table, row: old)
                try tx.insert(table, values: [v[0], v[1], .i64(balance + 1)])
            }
            let start = ContinuousClock.now
            let changes = TxChanges(delta)
            let candidates = try! index.candidates(changes)
            for c in candidates {
                let update = try! store.read { tx throws(SQLError) in try compiled[c].update(for: changes, in: tx) }
                changedRows += update.inserts.count + update.deletes.count
            }
            evaluated += candidates.count
            engine += ContinuousClock.now - start
        }
        let perTx = Double(engine.components.attoseconds) / 1e12 / Double(txs) + Double(engine.components.seconds) * 1e6 / Double(txs)
        print(
            "  \(label): \(String(format: "%.2f", perTx)) µs per transaction (queries evaluated per tx: "
                + "\(String(format: "%.2f", Double(evaluated) / Double(txs))), rows sent per tx: "
                + "\(String(format: "%.2f", Double(changedRows) / Double(txs)))); compiling \(queries.count) took \(compileTime)")
    }
}
