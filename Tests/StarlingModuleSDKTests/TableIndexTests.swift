import Foundation
import StarlingModuleHost
import StarlingQuery
import StarlingRuntime
import StarlingStore
import StarlingTypes
import Testing

/// Indexes declared on the table (`@Table(indexes:)`), through a fixture module
/// (`Fixtures/inbox`): typed accessors for full keys, prefixes and ranges, unique and hash
/// indexes, restarts, and the SQL planner using them.
@Suite struct TableIndexTests {
    static let path = "Tests/StarlingModuleSDKTests/Fixtures/inbox"
    let owner = Identity(limbs: (11, 0, 0, 0))

    func args(_ values: [any BSATNCodable]) -> [UInt8] {
        var w = BSATNWriter()
        for v in values { v.encode(to: &w) }
        return w.bytes
    }

    @Test func declaredIndexesAreDescribed() throws {
        let m = try LoadedModule(Self.path)
        let message = try #require(m.host.schema.tables.first { $0.name == "message" })
        func index(_ name: String) -> IndexSchema? { message.indexes.first { $0.name == name } }
        #expect(index("message_by_owner_and_sent")?.columns == [1, 2])
        #expect(index("message_by_owner_and_sent")?.algorithm == .btree)
        #expect(index("message_by_owner_and_sent")?.isUnique == false)
        #expect(index("message_by_room_seq")?.columns == [3, 4])
        #expect(index("message_by_room_seq")?.isUnique == true)
        #expect(message.constraints.map(\.columns).contains([3, 4]))
        #expect(index("message_by_owner_room")?.algorithm == .hash)
        #expect(index("message_by_owner_room")?.columns == [1, 3])
    }

    @Test func reducersUseFullKeysPrefixesAndRanges() throws {
        let m = try LoadedModule(Self.path)
        #expect(try m.call("seed", [UInt32(4), UInt32(10)]) == .success)
        #expect(try m.call("check_reads") == .success)
        #expect(try m.call("check_writes") == .success)
        #expect(try m.rows("message").count == 9)
    }

    @Test func declaredIndexesSurviveARestart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-idx-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = RuntimeOptions(directory: dir)
        let db = try ModuleDatabase.publish(
            wasm: try BuiltModules.wasm(Self.path), owner: owner, identity: owner, options: options)
        #expect(db.call("seed", args: args([UInt32(4), UInt32(10)]), caller: owner).outcome == .success)
        try db.close()
        let reopened = try ModuleDatabase.open(options: options)
        #expect(reopened.call("check_reads", args: [], caller: owner).outcome == .success)
        #expect(reopened.call("check_writes", args: [], caller: owner).outcome == .success)
        #expect(reopened.call("count_owner", args: args([UInt32(2)]), caller: owner).outcome == .success)
        #expect(reopened.log.recent(10).map(\.message).contains("owner 2: 9"))
        try reopened.close()
    }

    /// SQL plans on a prefix of the declared index: equality on both columns, and on the first.
    @Test func sqlUsesTheDeclaredIndex() throws {
        let db = try ModuleDatabase.publish(
            wasm: try BuiltModules.wasm(Self.path), owner: owner, identity: owner, options: RuntimeOptions())
        #expect(db.call("seed", args: args([UInt32(3), UInt32(5)]), caller: owner).outcome == .success)
        func run(_ sql: String) throws -> [[AlgebraicValue]] {
            try db.store.read { tx throws in try QueryEngine.query(sql, in: tx, context: .owner(owner))[0].rows }
        }
        let both = try run("EXPLAIN SELECT * FROM message WHERE owner = 1 AND sent = 20")
        #expect(both.contains { "\($0)".contains("USING message_by_owner_and_sent") }, "\(both)")
        let prefix = try run("EXPLAIN SELECT * FROM message WHERE owner = 1")
        #expect(prefix.contains { "\($0)".contains("USING message_by_owner_and_sent") }, "\(prefix)")
        #expect(try run("SELECT text FROM message WHERE owner = 1 AND sent = 20") == [[.string("m1.2")]])
        try db.close()
    }
}
