import StarlingModuleHost
import StarlingStore
import StarlingTypes
import WAT

/// The module host benchmarks (in-process, no durability): empty reducer calls (host → wasm →
/// host + commit), a transfer-like reducer (two point lookups and two updates by primary key on
/// a 100k-row table), and the cost of one host call from wasm.
struct ModuleBenchmark {
    let options: [String: Int]
    var runs: Int { max(1, options["runs"] ?? 3) }

    func run() {
        print("starling-bench module (release build expected; 2-core machine; median and best of \(runs) runs)")
        let log = ModuleLog(capacity: 1000)
        let host = try! ModuleHost(wasm: try! wat2wasm(Self.wat), log: log, databaseIdentity: .zero)
        let store = Datastore()
        let accounts = Self.setUp(host: host, store: store, rows: options["accounts"]!)
        let calls = options["calls"]!
        let noop = host.reducerID(named: "noop")!
        let empty = measure { callRate(host, store, noop, args: { _ in [] }, calls: calls) }
        report("empty reducer", empty, unit: "calls/s", budget: "≥ 200,000")

        let transfer = host.reducerID(named: "transfer")!
        var rng = SplitMix64(seed: 42)
        let argsPool: [[UInt8]] = (0..<4096).map { _ in
            var w = BSATNWriter(capacity: 24)
            let from = rng.next() % UInt64(accounts)
            w.write(from)
            w.write((from + 1 + rng.next() % UInt64(accounts - 1)) % UInt64(accounts))
            w.write(UInt64(1))
            return w.bytes
        }
        let transfers = measure { callRate(host, store, transfer, args: { argsPool[$0 & 4095] }, calls: calls) }
        report("transfer (2 point lookups + 2 update_by_index, \(accounts) rows)", transfers, unit: "calls/s", budget: "≥ 100,000")
        print("  fuel (≈ wasm instructions) per transfer: \(host.lastCallFuel)")
        checkBalances(store, accounts: accounts)

        let spin = host.reducerID(named: "host_calls")!
        let n: UInt32 = 1_000_000
        let cost = measure { () -> Double in
            let context = CallContext(sender: .zero, timestamp: Timestamp(microsSinceUnixEpoch: 1))
            let clock = ContinuousClock()
            let start = clock.now
            let (outcome, _) = host.run(spin, args: withUnsafeBytes(of: n.littleEndian) { Array($0) }, context: context, in: store)
            precondition(outcome == .success, "\(outcome)")
            return seconds(clock.now - start) * 1e9 / Double(n)
        }
        report("one host call (row_iter_close on a bad handle, wasm loop included)", cost, unit: "ns", budget: nil, lowerIsBetter: true)
        runSwiftBank()
    }

    /// Calls `reducer` `calls` times, each in its own committed transaction; returns calls/s.
    func callRate(
        _ host: ModuleHost, _ store: Datastore, _ reducer: ReducerID, args: (Int) -> [UInt8], calls: Int
    ) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<calls {
            let context = CallContext(sender: .zero, timestamp: Timestamp(microsSinceUnixEpoch: Int64(i)))
            let (outcome, _) = host.run(reducer, args: args(i), context: context, in: store)
            precondition(outcome == .success, "\(outcome)")
        }
        return Double(calls) / seconds(clock.now - start)
    }

    static func setUp(host: ModuleHost, store: Datastore, rows: Int) -> Int {
        _ = try! store.write { tx throws(StoreError) in
            try host.createTables(in: tx)
            let table = try tx.tableId("accounts")
            var w = BSATNWriter(capacity: 16)
            for id in 0..<UInt64(rows) {
                w.removeAll()
                w.write(id)
                w.write(UInt64(1_000_000))
                _ = try w.withBytes { (b) throws(StoreError) in try tx.insert(table, b) }
            }
        }
        return rows
    }

    func checkBalances(_ store: Datastore, accounts: Int) {
        let total = try! store.read { tx throws(StoreError) -> UInt64 in
            var sum: UInt64 = 0
            try tx.scan(try tx.tableId("accounts")) { _, row in
                sum += row.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                return true
            }
            return sum
        }
        precondition(total == UInt64(accounts) * 1_000_000, "transfers must conserve money")
    }

    func measure(_ body: () -> Double) -> (median: Double, best: Double, all: [Double]) {
        let xs = (0..<runs).map { _ in body() }
        let sorted = xs.sorted()
        return (sorted[sorted.count / 2], sorted.last!, xs)
    }

    func report(
        _ what: String, _ m: (median: Double, best: Double, all: [Double]), unit: String, budget: String?,
        lowerIsBetter: Bool = false
    ) {
        let best = lowerIsBetter ? m.all.min()! : m.best
        let b = budget.map { " (budget \($0))" } ?? ""
        print("\(what): median \(fmt(m.median)) \(unit), best \(fmt(best)) \(unit)\(b)")
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    func fmt(_ x: Double) -> String { x >= 1000 ? "\(Int(x.rounded()))" : "\((x * 10).rounded() / 10)" }
}
