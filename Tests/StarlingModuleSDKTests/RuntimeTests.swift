import Foundation
import StarlingDurability
import StarlingModuleHost
import StarlingRuntime
import StarlingStore
import StarlingTypes
import Testing

/// Databases with modules: publish, restart, update, lifecycle rules and schedules.
@Suite struct RuntimeTests {
    let owner = Identity(limbs: (11, 0, 0, 0))
    let dbIdentity = Identity(limbs: (99, 0, 0, 0))

    func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-rt-\(UUID().uuidString)").path
        return dir
    }

    func args(_ values: [any BSATNCodable]) -> [UInt8] {
        var w = BSATNWriter()
        for v in values { v.encode(to: &w) }
        return w.bytes
    }

    func count(_ db: ModuleDatabase, _ table: String) throws -> Int {
        try db.store.read { tx throws(StoreError) in try tx.rowCount(try tx.tableId(table)) }
    }

    @Test func publishRestartKeepsModuleAndData() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RuntimeOptions(directory: dir)
        options.fsync = .everyCommit
        let wasm = try BuiltModules.wasm("Tests/StarlingModuleSDKTests/Fixtures/bank-v2")
        let db = try ModuleDatabase.publish(wasm: wasm, owner: owner, identity: dbIdentity, options: options)
        #expect(try count(db, "audit") == 1)  // the init reducer ran in the publish transaction
        #expect(db.call("open_accounts", args: args([UInt64(3), Int64(10)]), caller: owner).outcome == .success)
        #expect(db.call("transfer", args: args([UInt64(0), UInt64(1), Int64(4)]), caller: owner).outcome == .success)
        let lifecycle = db.call("setup", args: [], caller: owner)
        #expect(lifecycle.outcome.message?.contains("clients cannot call it") == true)
        #expect(db.call("nope", args: [], caller: owner).outcome == .failed("no such reducer `nope`"))
        try db.close()

        let reopened = try ModuleDatabase.open(options: options)
        #expect(reopened.info.owner == owner)
        #expect(reopened.info.databaseIdentity == dbIdentity)
        #expect(try count(reopened, "account") == 3)
        #expect(try count(reopened, "audit") == 1)  // init does not run again
        let balances = try reopened.store.read { tx throws(StoreError) in try tx.values(try tx.tableId("account")) }
        #expect(Set(balances.map { $0.product![2].i64! }) == [6, 14, 10])
        #expect(reopened.call("transfer", args: args([UInt64(1), UInt64(2), Int64(14)]), caller: owner).outcome == .success)
        try reopened.close()
    }

    @Test func invalidModuleIsRefusedWithoutLeavingData() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: RuntimeError.self) {
            try ModuleDatabase.publish(wasm: [0, 97, 115, 109, 9], owner: owner, identity: dbIdentity, options: RuntimeOptions(directory: dir))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/log"))
    }

    @Test func compatibleUpdateAddsTablesAndKeepsData() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RuntimeOptions(directory: dir)
        let db = try ModuleDatabase.publish(
            wasm: try BuiltModules.wasm("Examples/bank"), owner: owner, identity: dbIdentity, options: options)
        #expect(db.call("open_accounts", args: args([UInt64(2), Int64(5)]), caller: owner).outcome == .success)
        #expect(!db.hasReducer("audit"))

        let stranger = Identity(limbs: (5, 5, 5, 5))
        let v2 = try BuiltModules.wasm("Tests/StarlingModuleSDKTests/Fixtures/bank-v2")
        #expect(throws: RuntimeError.self) { try db.update(wasm: v2, by: stranger) }
        let plan = try db.update(wasm: v2, by: owner)
        #expect(plan.summary.contains("+ table `audit` (2 columns)"))
        #expect(db.call("audit", args: args(["hello"]), caller: owner).outcome == .success)
        #expect(try count(db, "account") == 2)
        #expect(try count(db, "audit") == 1)  // init does not run on update

        // Going back would drop `audit`: refused, with the reason.
        do {
            try db.update(wasm: try BuiltModules.wasm("Examples/bank"), by: owner)
            Issue.record("downgrade should be refused")
        } catch let error as RuntimeError {
            #expect(error.code == .incompatibleSchema)
            #expect(error.message.contains("table `audit` would be removed"))
        }
        try db.close()
        let reopened = try ModuleDatabase.open(options: options)
        #expect(reopened.hasReducer("audit"))
        #expect(try count(reopened, "audit") == 1)
        try reopened.close()
    }

    @Test func updateAppendsColumnsAndAddsIndexesToExistingTables() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RuntimeOptions(directory: dir)
        let db = try ModuleDatabase.publish(
            wasm: try BuiltModules.wasm("Examples/bank"), owner: owner, identity: dbIdentity, options: options)
        #expect(db.call("open_accounts", args: args([UInt64(4), Int64(100)]), caller: owner).outcome == .success)
        #expect(db.call("transfer", args: args([UInt64(0), UInt64(1), Int64(60)]), caller: owner).outcome == .success)

        let plan = try db.update(wasm: try BuiltModules.wasm("Tests/StarlingModuleSDKTests/Fixtures/bank-v3"), by: owner)
        #expect(plan.summary.contains("+ column `account.frozen` (bool, existing rows get its zero value)"))
        #expect(plan.summary.contains("+ index `account_balance_idx` on `account`"))
        let rows = try db.store.read { tx throws(StoreError) in try tx.values(try tx.tableId("account")) }
        #expect(rows.allSatisfy { $0.product?.count == 4 && $0.product?[3] == .bool(false) })
        #expect(db.call("freeze", args: args([UInt64(1)]), caller: owner).outcome == .success)
        #expect(db.call("transfer", args: args([UInt64(1), UInt64(2), Int64(1)]), caller: owner).outcome == .failed("account 1 is frozen"))
        #expect(db.call("count_rich", args: args([Int64(100)]), caller: owner).outcome == .success)
        #expect(db.log.recent(10).map(\.message).contains("rich: 3"))
        try db.close()

        let reopened = try ModuleDatabase.open(options: options)
        #expect(reopened.call("count_rich", args: args([Int64(150)]), caller: owner).outcome == .success)
        #expect(reopened.log.recent(10).map(\.message).contains("rich: 1"))
        let frozen = try reopened.store.read { tx throws(StoreError) in try tx.values(try tx.tableId("account")) }
            .filter { $0.product?[3] == .bool(true) }
        #expect(frozen.count == 1)
        try reopened.close()
    }

    @Test func incompatibleUpdateExplainsEveryProblem() throws {
        let db = try ModuleDatabase.publish(
            wasm: try BuiltModules.wasm("Examples/bank"), owner: owner, identity: dbIdentity, options: RuntimeOptions())
        do {
            try db.update(wasm: try BuiltModules.wasm("Examples/quickstart-chat"), by: owner)
            Issue.record("replacing bank by chat should be refused")
        } catch let error as RuntimeError {
            #expect(error.message.contains("table `account` would be removed"))
            #expect(error.message.contains("--clear-database"))
        }
    }

    @Test func schedulesFireOnTimeAndSurviveRestart() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RuntimeOptions(directory: dir)
        let wasm = try BuiltModules.wasm(KitchenSinkTests.path)
        let db = try ModuleDatabase.publish(wasm: wasm, owner: owner, identity: dbIdentity, options: options)
        var worker = DatabaseWorker(db)
        let start = Date()
        func call(_ name: String, _ a: [any BSATNCodable]) -> ReducerOutcome {
            let bytes = args(a)
            return worker.perform { $0.call(name, args: bytes, caller: owner).outcome }
        }
        func ticks(_ label: String) -> Int {
            worker.perform { db in
                ((try? db.store.read { tx throws(StoreError) in try tx.values(try tx.tableId("tick_log")) }) ?? [])
                    .filter { $0.product?[1] == .string(label) }.count
            }
        }
        #expect(call("schedule_tick", ["once", Int64(200_000), false]) == .success)
        #expect(call("schedule_tick", ["every", Int64(100_000), true]) == .success)
        #expect(call("schedule_tick", ["later", Int64(1_500_000), false]) == .success)
        Thread.sleep(forTimeInterval: 0.65)
        #expect(ticks("once") == 1)
        let repeats = ticks("every")
        #expect(repeats >= 4 && repeats <= 7, "interval 100 ms fired \(repeats) times in ~650 ms")
        #expect(ticks("later") == 0)
        // The one-shot row is gone; the repeating and the pending one remain.
        #expect(worker.perform { $0.scheduledCount } == 2)
        worker.stop()

        let reopened = try ModuleDatabase.open(options: options)
        worker = DatabaseWorker(reopened)
        Thread.sleep(forTimeInterval: max(0, 1.8 - Date().timeIntervalSince(start)))
        #expect(ticks("later") == 1, "the pending one-shot fires after the restart")
        #expect(ticks("every") > repeats, "the interval keeps firing after the restart")
        #expect(call("cancel_ticks", []) == .success)
        #expect(worker.perform { $0.scheduledCount } == 0)
        worker.stop()
    }
}
