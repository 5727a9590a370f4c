import StarlingModuleHost
import StarlingStore
import StarlingTypes
import Testing

/// The C example module (`Examples/c-counter`), compiled with clang at test time and driven
/// through the host: the ABI works from a language with no SDK.
@Suite struct CCounterTests {
    func harness() throws -> Harness { try Harness(wasm: try CCounter.wasm.get()) }

    @Test func describesItsSchemaInHandWrittenBSATN() throws {
        let h = try harness()
        #expect(h.host.schema.tableItems.map(\.name) == ["counter"])
        #expect(h.host.schema.tables[0].indexes.map(\.name) == ["counter_id_key"])
        #expect(Set(h.host.schema.reducers.map(\.name)) == ["increment", "fail", "init"])
        #expect(h.host.schema.reducer(for: .initialize)?.name == "init")
        #expect(h.host.reducerID(named: "missing") == nil)
    }

    @Test func initInsertsTheZeroCounter() throws {
        let h = try harness()
        #expect(try h.run("init") == .success)
        #expect(try h.rows("counter") == [[.u32(0), .u64(0)]])
    }

    @Test func incrementInsertsThenUpdates() throws {
        let h = try harness()
        #expect(try h.run("increment", [.u32(7)]) == .success)
        #expect(try h.rows("counter") == [[.u32(7), .u64(1)]])
        #expect(try h.run("increment", [.u32(7)]) == .success)
        #expect(try h.run("increment", [.u32(8)]) == .success)
        let rows = try h.rows("counter").sorted { "\($0)" < "\($1)" }
        #expect(rows == [[.u32(7), .u64(2)], [.u32(8), .u64(1)]])
        #expect(h.log.recent(10).contains { $0.message == "counter incremented" && $0.file.hasSuffix("counter.c") && $0.level == .debug })
    }

    @Test func failRollsBackEverythingAndReportsItsMessage() throws {
        let h = try harness()
        #expect(try h.run("increment", [.u32(1)]) == .success)
        let id = try #require(h.host.reducerID(named: "fail"))
        let context = CallContext(sender: Harness.sender, timestamp: Timestamp(microsSinceUnixEpoch: 5))
        let (outcome, delta) = h.host.run(id, args: [], context: context, in: h.store)
        #expect(outcome == .failed("fail: this reducer always fails"))
        #expect(delta == nil)
        #expect(try h.rows("counter") == [[.u32(1), .u64(1)]])
        // The instance survives a plain failure; the next call works.
        #expect(try h.run("increment", [.u32(1)]) == .success)
        #expect(try h.rows("counter") == [[.u32(1), .u64(2)]])
    }

    @Test func badArgumentsAreRefusedBeforeTheModuleRuns() throws {
        let h = try harness()
        let id = try #require(h.host.reducerID(named: "increment"))
        let context = CallContext(sender: Harness.sender, timestamp: Timestamp(microsSinceUnixEpoch: 5))
        let (outcome, _) = h.host.run(id, args: [1, 2, 3], context: context, in: h.store)
        guard case .failed(let message) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(message.contains("arguments of reducer `increment` do not match its parameters"))
        #expect(message.contains("`id`"))
        let (extra, _) = h.host.run(id, args: [1, 0, 0, 0, 9], context: context, in: h.store)
        #expect(extra.message?.contains("1 bytes left after the last parameter") == true)
        #expect(try h.rows("counter").isEmpty)
        // Had the module run, it would have failed with its own message ("increment: bad arguments").
        #expect(!h.log.recent(10).contains { $0.message.contains("increment") })
    }

    @Test func unknownImportIsRefusedWithItsName() throws {
        var f = Fixture()
        f.imports = #"(import "starling_1.0" "launch_missiles" (func (param i32) (result i32)))"#
        #expect(throws: ModuleError(.badImport, "import `starling_1.0`.`launch_missiles` is not part of the starling_1.0 ABI")) {
            try ModuleHost(wasm: try f.wasm(), log: ModuleLog(), databaseIdentity: .zero)
        }
        f.imports = #"(import "env" "memcpy" (func (param i32 i32 i32) (result i32)))"#
        let e1 = #expect(throws: ModuleError.self) { try ModuleHost(wasm: try f.wasm(), log: ModuleLog(), databaseIdentity: .zero) }
        #expect(e1?.message == "import `env`.`memcpy` is not provided: modules may only import from `starling_1.0`")
        f.imports = #"(import "starling_1.0" "insert" (func $insert2 (param i32 i32) (result i32)))"#
        let e2 = #expect(throws: ModuleError.self) { try ModuleHost(wasm: try f.wasm(), log: ModuleLog(), databaseIdentity: .zero) }
        #expect(e2?.message == "import `starling_1.0`.`insert` has signature (i32, i32) -> (i32); the ABI defines (i32, i32, i32) -> (i32)")
    }

    @Test func reducerExportsAndItemsMustMatch() throws {
        var f = Fixture()
        f.reducer("a", "(i32.const 0)")
        f.extra = #"(func (export "__starling_reducer__ghost") (param i64 i64 i64 i64 i64 i64 i64 i32) (result i32) (i32.const 0))"#
        let e = #expect(throws: ModuleError.self) { try ModuleHost(wasm: try f.wasm(), log: ModuleLog(), databaseIdentity: .zero) }
        #expect(e?.code == .reducerMismatch)
        #expect(e?.message.contains("__starling_reducer__ghost") == true)
        var g = Fixture()
        g.reducer("a", "(i32.const 0)")
        g.extra = #"(func (export "__starling_describe__zzz") (drop (call $describe_item {{\#u{01}\#u{01}\#0\#0\#0b\#0\#0\#0\#0\#0}})))"#
        let e2 = #expect(throws: ModuleError.self) { try ModuleHost(wasm: try g.wasm(), log: ModuleLog(), databaseIdentity: .zero) }
        #expect(e2?.code == .reducerMismatch)
        #expect(e2?.message == "reducer `b` is described but the module has no export `__starling_reducer__b`")
    }

    @Test func describerProblemsRefuseTheModule() throws {
        var f = Fixture()
        f.extra = #"(func (export "__starling_describe__zzz") (drop (call $describe_item {{\#u{09}}})))"#
        let bad = #expect(throws: ModuleError.self) { try ModuleHost(wasm: try f.wasm(), log: ModuleLog(), databaseIdentity: .zero) }
        #expect(bad?.code == .describeFailed)
        #expect(bad?.message.contains("invalid module item tag 9") == true)
        f.extra = #"(func (export "__starling_describe__zzz") unreachable)"#
        let trap = #expect(throws: ModuleError.self) { try ModuleHost(wasm: try f.wasm(), log: ModuleLog(), databaseIdentity: .zero) }
        #expect(trap?.message == "describer `__starling_describe__zzz` failed: trapped: unreachable")
        var twice = Fixture()
        twice.tables = [TableItem(name: "obs", columns: [ColumnItem("x", .u8)])]
        let dup = #expect(throws: ModuleError.self) { try ModuleHost(wasm: try twice.wasm(), log: ModuleLog(), databaseIdentity: .zero) }
        #expect(dup == ModuleError(.invalidSchema, "the module's schema is invalid: two tables are named `obs`"))
    }
}
