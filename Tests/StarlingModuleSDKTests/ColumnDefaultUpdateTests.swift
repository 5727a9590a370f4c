import Foundation
import StarlingDatabase
import StarlingModuleHost
import StarlingRuntime
import StarlingStore
import StarlingTypes
import Testing

/// A module update that appends columns whose stored properties have initial values
/// (`Fixtures/inbox` → `Fixtures/inbox-v2`): existing rows get the defaults, and reopening (log
/// replay) and loading a snapshot give the same rows.
@Suite struct ColumnDefaultUpdateTests {
    static let v1 = TableIndexTests.path
    static let v2 = "Tests/StarlingModuleSDKTests/Fixtures/inbox-v2"
    let owner = Identity(limbs: (11, 0, 0, 0))

    func args(_ values: [any BSATNCodable]) -> [UInt8] {
        var w = BSATNWriter()
        for v in values { v.encode(to: &w) }
        return w.bytes
    }

    func rows(_ db: ModuleDatabase) throws -> [AlgebraicValue] {
        try db.store.read { tx throws(StoreError) in try tx.values(try tx.tableId("message")) }
            .sorted { ($0.product?[0].u64 ?? 0) < ($1.product?[0].u64 ?? 0) }
    }

    @Test func theDefaultsAreDescribed() throws {
        let m = try LoadedModule(Self.v2)
        let defaults = m.host.schema.defaultValues(of: "message")
        #expect(defaults == ["priority": .u8(3), "label": .string("inbox"), "note": .option(.string("imported"))])
    }

    @Test func updateFillsExistingRowsWithTheDefaults() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-def-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RuntimeOptions(directory: dir)
        options.snapshotEvery = nil
        let db = try ModuleDatabase.publish(wasm: try BuiltModules.wasm(Self.v1), owner: owner, identity: owner, options: options)
        #expect(db.call("seed", args: args([UInt32(4), UInt32(10)]), caller: owner).outcome == .success)
        let plan = try db.update(wasm: try BuiltModules.wasm(Self.v2), by: owner)
        #expect(plan.summary.contains("+ column `message.priority` (u8, existing rows get its default 3)"))
        #expect(plan.summary.contains("+ column `message.label` (string, existing rows get its default \"inbox\")"))
        #expect(plan.summary.contains("+ column `message.archived` (bool, existing rows get its zero value)"))
        #expect(plan.summary.contains("+ index `message_by_priority_and_sent` on `message`"))
        let migrated = try rows(db)
        #expect(migrated.count == 40)
        let tail: [AlgebraicValue] = [.u8(3), .string("inbox"), .option(.string("imported")), .bool(false)]
        #expect(migrated.allSatisfy { Array($0.product!.suffix(4)) == tail })
        #expect(db.call("post", args: args([UInt32(1), Int64(500), UInt8(9)]), caller: owner).outcome == .success)
        #expect(db.call("check_migrated", args: args([UInt32(40)]), caller: owner).outcome == .success)
        let live = try rows(db)
        try db.close()

        // Reopen: the log replays the migration record, defaults included.
        let replayed = try ModuleDatabase.open(options: options)
        #expect(replayed.database.recovery.snapshotOffset == nil)
        #expect(try rows(replayed) == live)
        #expect(replayed.call("check_migrated", args: args([UInt32(40)]), caller: owner).outcome == .success)
        _ = try replayed.database.snapshot()
        try replayed.close()

        // Reopen from the snapshot.
        let restored = try ModuleDatabase.open(options: options)
        #expect(restored.database.recovery.snapshotOffset != nil)
        #expect(try rows(restored) == live)
        #expect(restored.call("check_migrated", args: args([UInt32(40)]), caller: owner).outcome == .success)
        try restored.close()
    }
}
