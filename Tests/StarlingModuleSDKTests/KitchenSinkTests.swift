import StarlingModuleHost
import StarlingStore
import StarlingTypes
import Testing

/// Every SDK feature, through a fixture module (`Fixtures/kitchen-sink`) built with the SDK.
@Suite struct KitchenSinkTests {
    static let path = "Tests/StarlingModuleSDKTests/Fixtures/kitchen-sink"

    @Test func describesEveryColumnTypeAndNamedTypes() throws {
        let m = try LoadedModule(Self.path)
        let everything = try #require(m.host.schema.tables.first { $0.name == "everything" })
        let types = everything.columns.map { "\($0.name): \($0.type)" }
        #expect(types.count == 20)
        #expect(everything.columns[0].type == .u64)
        #expect(everything.columns[11].type == .bytes)
        #expect(everything.columns[13].type == .option(.string))
        #expect(everything.columns[17].type == .product(ProductType([.init("x", .f32), .init("y", .f32)])))
        #expect(
            everything.columns[18].type
                == .sum(SumType([
                    .init("circle", .f64), .init("rect", .product(ProductType([.init("width", .f64), .init("height", .f64)]))),
                    .init("point", .unit),
                ])))
        #expect(everything.access == .public)
        let player = try #require(m.host.schema.tables.first { $0.name == "player" })
        #expect(player.access == .private)
        #expect(Set(player.indexes.map(\.name)) == ["player_id_key", "player_name_key", "player_score_idx", "player_team_idx"])
        #expect(player.indexes.first { $0.name == "player_team_idx" }?.algorithm == .hash)
        #expect(m.host.schema.namedTypes.map(\.name).sorted() == ["Position", "Shape"])
    }

    @Test func everyColumnTypeRoundTrips() throws {
        let m = try LoadedModule(Self.path)
        let shape = AlgebraicValue.sum(tag: 1, value: .product([.f64(2), .f64(3)]))
        var w = BSATNWriter()
        "hi".encode(to: &w)
        shape.encode(to: &w)
        Optional("yes").encode(to: &w)
        let id = try #require(m.host.reducerID(named: "insert_everything"))
        let context = CallContext(sender: m.owner, timestamp: Timestamp(microsSinceUnixEpoch: 42))
        #expect(m.host.run(id, args: w.bytes, context: context, in: m.store).0 == .success)
        let row = try #require(try m.rows("everything").first?.product)
        #expect(row[0] == .u64(1))
        #expect(row[6] == .u128(.max))
        #expect(row[7] == .i128(.min))
        #expect(row[10] == .string("hi"))
        #expect(row[11] == .bytes([0, 1, 255]))
        #expect(row[12] == .array([.i32(1), .i32(-2), .i32(3)]))
        #expect(row[13] == .option(.string("yes")))
        #expect(row[14] == .identity(m.owner))
        #expect(row[15] == .timestamp(Timestamp(microsSinceUnixEpoch: 42)))
        #expect(row[18] == shape)
        #expect(row[19] == .array([.product([.f32(0), .f32(0)]), .product([.f32(3), .f32(4)])]))
        #expect(m.messages.contains("inserted everything #1"))
    }

    @Test func indexesIterationUpdatesAndDeletes() throws {
        let m = try LoadedModule(Self.path)
        // 300 rows: more than one 4 KiB batch of the row iterator.
        #expect(try m.call("add_players", ["p", UInt32(300)]) == .success)
        let outcome = try m.call("check_queries", [UInt64(300)])
        #expect(outcome == .success, "\(outcome)")
        #expect(try m.rows("player").count == 300 - 1 - 10)
        #expect(try m.call("clear_players") == .success)
        #expect(try m.rows("player").isEmpty)
        #expect(m.messages.contains("cleared 289"))
    }

    @Test func failuresRollBackAndSurfaceTheirMessages() throws {
        let m = try LoadedModule(Self.path)
        let dup = try m.call("duplicate_name")
        #expect(dup.message?.contains("a row with the same unique key already exists") == true, "\(dup)")
        #expect(try m.call("insert_then_fail") == .failed("failing on purpose"))
        let trap = try m.call("insert_then_trap", [UInt32(7)])
        guard case .trapped = trap else {
            Issue.record("expected a trap, got \(trap)")
            return
        }
        #expect(try m.rows("player").isEmpty)
        // The host replaced the instance; the module keeps working.
        #expect(try m.call("add_players", ["q", UInt32(3)]) == .success)
        #expect(try m.rows("player").count == 3)
    }

    @Test func limitsStopRunawayReducers() throws {
        var limits = ModuleLimits()
        limits.maxMemoryBytes = 32 << 20
        let m = try LoadedModule(Self.path, limits: limits)
        let spin = try m.call("spin")
        #expect(spin.message?.contains("budget exhausted") == true, "\(spin)")
        let hog = try m.call("hog")
        #expect(!hog.isSuccess, "\(hog)")
        #expect(try m.call("add_players", ["r", UInt32(2)]) == .success)
    }

    @Test func randomnessIsDeterministicPerCall() throws {
        let a = try LoadedModule(Self.path)
        let b = try LoadedModule(Self.path)
        #expect(try a.call("randomness") == .success)
        #expect(try b.call("randomness") == .success)
        let line = a.messages.first { $0.hasPrefix("random ") }
        #expect(line != nil)
        #expect(line == b.messages.first { $0.hasPrefix("random ") })
    }
}
