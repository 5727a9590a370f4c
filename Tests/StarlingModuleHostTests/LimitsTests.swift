import StarlingModuleHost
import StarlingStore
import StarlingTypes
import Testing

/// Fuel, memory and stack limits, traps and rollback: a misbehaving module fails its call and
/// leaves the host (and the next call) unharmed.
@Suite struct LimitsTests {
    /// A fixture with table `t (id u32 pk)`, a reducer `add(id)` that inserts a row, and `body`
    /// as reducer `bad`.
    func fixture(bad body: String, extra: String = "", memory: String = "1") -> Fixture {
        var f = Fixture()
        f.tables = [TableItem(name: "t", columns: [ColumnItem("id", .u32)], primaryKey: 0)]
        f.reducer(
            "add", params: [ColumnItem("id", .u32)],
            """
            (drop (call $reducer_args (i32.const 0)))
            (drop (call $table_id_from_name {{t}} (i32.const 16)))
            (call $insert (i32.load (i32.const 16)) (i32.const 0) (i32.const 4))
            """)
        f.reducer("bad", body)
        f.extra = extra
        f.memory = memory
        return f
    }

    @Test func endlessLoopRunsOutOfFuelAndTheHostKeepsWorking() throws {
        let f = fixture(bad: "(loop $l (br $l)) (i32.const 0)")
        let h = try Harness(f, limits: ModuleLimits(fuelPerCall: 200_000))
        let outcome = try h.run("bad")
        guard case .outOfFuel(let message) = outcome else {
            Issue.record("expected out of fuel, got \(outcome)")
            return
        }
        #expect(message.contains("budget exhausted"))
        #expect(h.log.recent(5).contains { $0.level == .error && $0.message.contains("budget exhausted") })
        #expect(try h.run("add", [.u32(1)]) == .success)
        #expect(try h.rows("t") == [[.u32(1)]])
    }

    @Test func memoryGrowthPastTheCapFailsCleanly() throws {
        // memory.grow returns -1 past the cap; this module reports it as an error.
        let body = """
            (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (return (i32.const 2))))
            (if (i32.eq (memory.grow (i32.const 64)) (i32.const -1))
              (then (drop (call $reducer_error {{grow refused}})) (return (i32.const 1))))
            (i32.const 0)
            """
        let h = try Harness(fixture(bad: body), limits: ModuleLimits(maxMemoryBytes: 4 * 65536))
        #expect(try h.run("bad") == .failed("grow refused"))
        #expect(try h.run("add", [.u32(2)]) == .success)
        // A module whose initial memory exceeds the cap is refused at load.
        let e = #expect(throws: ModuleError.self) {
            try Harness(fixture(bad: "(i32.const 0)", memory: "8"), limits: ModuleLimits(maxMemoryBytes: 4 * 65536))
        }
        #expect(e?.code == .instantiationFailed)
    }

    @Test func deepRecursionTrapsWithoutCrashing() throws {
        let f = fixture(
            bad: "(drop (call $down (i32.const 0))) (i32.const 0)",
            extra: "(func $down (param i32) (result i32) (call $down (i32.add (local.get 0) (i32.const 1))))")
        let h = try Harness(f, limits: ModuleLimits(fuelPerCall: 1 << 40))
        let outcome = try h.run("bad")
        guard case .trapped(let message) = outcome else {
            Issue.record("expected a trap, got \(outcome)")
            return
        }
        #expect(message.contains("call stack exhausted"))
        #expect(try h.run("add", [.u32(3)]) == .success)
    }

    @Test func trapAfterAnInsertRollsEverythingBack() throws {
        let body = """
            (i32.store (i32.const 0) (i32.const 42))
            (drop (call $table_id_from_name {{t}} (i32.const 16)))
            (drop (call $insert (i32.load (i32.const 16)) (i32.const 0) (i32.const 4)))
            unreachable
            """
        let h = try Harness(fixture(bad: body))
        #expect(try h.run("add", [.u32(1)]) == .success)
        let outcome = try h.run("bad")
        guard case .trapped(let message) = outcome else {
            Issue.record("expected a trap, got \(outcome)")
            return
        }
        #expect(message.contains("unreachable"))
        #expect(try h.rows("t") == [[.u32(1)]])
        #expect(try h.run("add", [.u32(2)]) == .success)
        #expect(try h.rows("t").count == 2)
    }

    @Test func wasmStateDoesNotSurviveATrap() throws {
        // A global counter: incremented by each call, reset by the fresh instance after a trap.
        var f = fixture(bad: "unreachable", extra: "(global $calls (mut i64) (i64.const 0))")
        f.reducer(
            "count",
            """
            (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
            (call $note (global.get $calls)) (i32.const 0)
            """)
        let h = try Harness(f)
        #expect(try h.run("count") == .success)
        #expect(try h.run("count") == .success)
        #expect(try h.run("bad") != .success)
        #expect(try h.run("count") == .success)
        #expect(try h.notes() == [1, 2, 1])
    }

    @Test func outOfBoundsPointerPassedToAnImportTraps() throws {
        let body = """
            (drop (call $table_id_from_name {{t}} (i32.const 16)))
            (drop (call $insert (i32.load (i32.const 16)) (i32.const 0) (i32.const 4)))
            (call $insert (i32.load (i32.const 16)) (i32.const 65534) (i32.const 4))
            """
        let h = try Harness(fixture(bad: body))
        let outcome = try h.run("bad")
        #expect(outcome == .trapped("reducer `bad` trapped: `insert` was passed an out-of-bounds pointer: bytes 65534..<65538 are outside the module's 65536-byte memory"))
        #expect(try h.rows("t").isEmpty)
        #expect(try h.run("add", [.u32(5)]) == .success)
    }

    /// Memory is bounds-checked in software (no guard pages): loads and stores past the end of the
    /// module's memory, by one byte or far out, trap and roll back; the host carries on.
    @Test(arguments: ["(i32.load (i32.const 65533))", "(i32.load (i32.const -4))", "(i64.load offset=65535 (i32.const 1))"])
    func loadsOutsideMemoryTrap(access: String) throws {
        let body = """
            (drop (call $table_id_from_name {{t}} (i32.const 16)))
            (drop (call $insert (i32.load (i32.const 16)) (i32.const 0) (i32.const 4)))
            (drop \(access))
            (i32.const 0)
            """
        let h = try Harness(fixture(bad: body))
        let outcome = try h.run("bad")
        guard case .trapped(let message) = outcome else {
            Issue.record("expected a trap, got \(outcome)")
            return
        }
        #expect(message.contains("out of bounds"), "\(message)")
        #expect(try h.rows("t").isEmpty)
        #expect(try h.run("add", [.u32(6)]) == .success)
        #expect(try h.rows("t") == [[.u32(6)]])
    }

    @Test func storeOnePastTheEndTraps() throws {
        let h = try Harness(fixture(bad: "(i32.store (i32.const 65533) (i32.const 7)) (i32.const 0)"))
        guard case .trapped(let message) = try h.run("bad") else {
            Issue.record("expected a trap")
            return
        }
        #expect(message.contains("out of bounds"), "\(message)")
        #expect(try h.run("add", [.u32(7)]) == .success)
    }
}
