import Foundation
import StarlingDurability
import StarlingModuleHost
import StarlingRuntime
import StarlingStore
import StarlingTypes

extension ModuleBenchmark {
    /// Where `starling build --project-path Examples/bank` puts the Swift bank module.
    static let bankWasm = "Examples/bank/.build/wasm32-unknown-none-wasm/release/bank.wasm"

    /// The same transfer workload through the Swift SDK (Examples/bank, built with the SDK's macros):
    /// what a module author's reducer actually costs, SDK overhead included.
    func runSwiftBank() {
        guard let wasm = FileManager.default.contents(atPath: Self.bankWasm) else {
            print("Swift bank module: not built (run `starling build --project-path Examples/bank` first; skipped)")
            return
        }
        var limits = ModuleLimits()
        limits.fuelPerCall = 100_000_000_000  // opening 100k accounts is one call
        let host = try! ModuleHost(wasm: [UInt8](wasm), limits: limits, log: ModuleLog(capacity: 100), databaseIdentity: .zero)
        let store = Datastore()
        _ = try! store.write { tx throws(StoreError) in try host.createTables(in: tx) }
        let accounts = options["accounts"]!
        var w = BSATNWriter()
        w.write(UInt64(accounts))
        w.write(Int64(1_000_000))
        let open = host.run(host.reducerID(named: "open_accounts")!, args: w.bytes, context: .init(sender: .zero, timestamp: .init(microsSinceUnixEpoch: 0)), in: store)
        precondition(open.0 == .success, "\(open.0)")

        var rng = SplitMix64(seed: 7)
        let argsPool: [[UInt8]] = (0..<4096).map { _ in
            var w = BSATNWriter(capacity: 24)
            let from = rng.next() % UInt64(accounts)
            w.write(from)
            w.write((from + 1 + rng.next() % UInt64(accounts - 1)) % UInt64(accounts))
            w.write(Int64(1))
            return w.bytes
        }
        let transfer = host.reducerID(named: "transfer")!
        let rate = measure { callRate(host, store, transfer, args: { argsPool[$0 & 4095] }, calls: options["calls"]!) }
        report("Swift bank transfer (Examples/bank via the SDK, \(accounts) accounts)", rate, unit: "calls/s", budget: "≥ 100,000")
        print("  runs: \(rate.all.map { fmt($0) }.joined(separator: ", ")); fuel (≈ wasm instructions) per transfer: \(host.lastCallFuel)")
        let total = try! store.read { tx throws(StoreError) -> Int64 in
            var sum: Int64 = 0
            try tx.scan(try tx.tableId("account")) { _, row in
                sum += row.loadUnaligned(fromByteOffset: 8 + 32, as: Int64.self)
                return true
            }
            return sum
        }
        precondition(total == Int64(accounts) * 1_000_000, "transfers must conserve money")
        publishTiming(wasm: [UInt8](wasm))
    }

    /// What `starling publish` costs on the server once the bytes arrived: load and validate the
    /// module, create its tables, store the program, commit durably (fsync every commit).
    func publishTiming(wasm: [UInt8]) {
        let clock = ContinuousClock()
        let times = (0..<runs).map { run -> Double in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-publish-\(getpid())-\(run)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var options = RuntimeOptions(directory: dir)
            options.fsync = .everyCommit
            let start = clock.now
            let db = try! ModuleDatabase.publish(wasm: wasm, owner: .zero, identity: .zero, options: options)
            let elapsed = seconds(clock.now - start)
            try! db.close()
            return elapsed * 1000
        }.sorted()
        print("publish Examples/bank (\(wasm.count / 1024) KiB; load + validate + tables + program, durable): median \(fmt(times[times.count / 2])) ms, best \(fmt(times[0])) ms (budget for `starling publish` ≤ 2,000 ms)")
    }
}
