import Foundation
import StarlingCLI
import StarlingClient
import StarlingCodegen
import Testing

/// `starling generate`: the committed bindings are what the generator writes (and they compile,
/// being part of this test target and of the chat client), the output's key declarations, and
/// the TypeScript output run with the JavaScript SDK against a real server.
@Suite struct CodegenTests {
    /// The commands the committed files were generated with (their headers say so).
    static let kitchenSinkCommand =
        "starling generate --lang swift --project-path Tests/StarlingModuleSDKTests/Fixtures/kitchen-sink --out-dir Tests/StarlingClientTests --file-name KitchenSinkBindings.swift"
    static let chatCommand =
        "starling generate --lang swift --project-path Examples/quickstart-chat --out-dir Examples/quickstart-chat/client-swift"

    static func schema(_ wasm: [UInt8]) throws -> ModuleSchema { try ModuleSchemaLoader.schema(ofWasm: wasm) }

    @Test func committedSwiftBindingsAreUpToDate() async throws {
        let cases = [
            (try await TestModules.kitchenSink(), Self.kitchenSinkCommand, "kitchen-sink", "Tests/StarlingClientTests/KitchenSinkBindings.swift"),
            (try await TestModules.chat(), Self.chatCommand, "quickstart-chat", "Examples/quickstart-chat/client-swift/StarlingBindings.swift"),
        ]
        for (wasm, command, source, path) in cases {
            let header = ModuleSchemaLoader.header(command: command, source: source)
            let generated = Codegen.generate(try Self.schema(wasm), language: .swift, header: header)
            let committed = try String(contentsOf: TestServer.repository.appendingPathComponent(path), encoding: .utf8)
            #expect(generated == committed, "\(path) is stale: run `\(command)`")
        }
    }

    @Test func swiftOutputDeclaresRowsTypesFindersAndReducers() async throws {
        let swift = Codegen.generate(try Self.schema(try await TestModules.kitchenSink()), language: .swift, header: "test")
        for declaration in [
            "public struct Everything: StarlingRow, Hashable {", "public static var tableName: String { \"everything\" }",
            "public var blob: [UInt8]", "public var maybe: String?", "public var path: [Position]", "public var scheduledAt: ScheduleAt",
            "public struct Position: BSATNCodable, Hashable, Sendable {", "public enum Shape: BSATNCodable, Hashable, Sendable {",
            "case circle(Double)", "case rect(width: Double, height: Double)", "case point",
            "public func find(id: UInt64) -> Everything? { find(\"id\", equals: id) }",
            "public func find(name: String) -> Player? { find(\"name\", equals: name) }",
            "public func filter(owner: Identity) -> [Note] { filter(\"owner\", equals: owner) }",
            "public var tickTimer: Table<TickTimer> { connection.table(TickTimer.self) }",
            "public func insertEverything(text: String, shape: Shape, maybe: String?) async throws(StarlingError) -> CallOutcome {",
            "public func tick(timer: TickTimer) async throws(StarlingError) -> CallOutcome {",
            "[\"SELECT * FROM everything\", \"SELECT * FROM note\", \"SELECT * FROM team\", \"SELECT * FROM tick_log\"]",
        ] {
            #expect(swift.contains(declaration), "missing: \(declaration)")
        }
        let chat = Codegen.generate(try Self.schema(try await TestModules.chat()), language: .swift, header: "test")
        #expect(chat.contains("public func setName(name: String)") && chat.contains("public func find(identity: Identity) -> User?"))
        #expect(!chat.contains("clientConnected") && !chat.contains("client_connected"), "lifecycle reducers are not callable")
    }

    @Test func generatedRowsRoundTripAndMatchTheSchema() throws {
        let row = Everything(
            id: 7, flag: false, i8: .min, u16: .max, i32: 5, i64: -1, u128: 1 << 100, i128: -(1 << 100), f32: -0.0, f64: .infinity, text: "t",
            blob: [], numbers: [], maybe: "m", who: Identity(limbs: (1, 2, 3, 4)), when: Timestamp(microsSinceUnixEpoch: -1),
            duration: TimeDuration(micros: 3), position: Position(x: 1, y: -1), shape: .circle(2), path: [Position(x: 0, y: 1)])
        #expect(try Everything(bsatn: row.bsatn) == row)
        #expect(AlgebraicValue.product([]).conforms(to: .unit))
        let value = try AlgebraicValue.decode(Everything.algebraicType, from: row.bsatn)
        #expect(value.bsatn == row.bsatn)
        #expect(try Shape(bsatn: Shape.rect(width: 1, height: 2).bsatn) == .rect(width: 1, height: 2))
        #expect(throws: BSATNError.self) { try Shape(bsatn: [3]) }
    }

    @Test func namesAreMadeSafe() throws {
        let nested = AlgebraicType.product(ProductType([.init("a", .i32), .init("b", .option(.array(.bytes)))]))
        let choice = AlgebraicType.sum(SumType([.init("a"), .init("b", .product(ProductType([.init("x", .u8)]))), .init(nil, .string)]))
        let schema = try ModuleSchema(items: [
            .table(TableItem(name: "table", columns: [.init("default", .u8), .init("nested", nested), .init("choice", .array(choice))], primaryKey: 0, isPublic: true)),
            .reducer(ReducerItem(name: "do", params: [.init("in", .string), .init("value_2", nested)])),
        ])
        let swift = Codegen.generate(schema, language: .swift, header: "test")
        for declaration in [
            "public struct TableRow: StarlingRow, Hashable {", "public var `default`: UInt8", "public struct TableRowNested: BSATNCodable",
            "public var nested: TableRowNested", "public enum TableRowChoiceItem: BSATNCodable", "case b(x: UInt8)", "case variant2(String)",
            "public var choice: [TableRowChoiceItem]", "public func find(`default`: UInt8) -> TableRow?",
            "public var table: Table<TableRow>", "public func `do`(`in`: String, value2: TableRowNested)",
        ] {
            #expect(swift.contains(declaration), "missing: \(declaration)\n\(swift)")
        }
        let js = Codegen.generate(schema, language: .typescript, header: "test")
        #expect(js.contains("do_(in_, value2) {\n    return this.client.call('do', in_, value2);"))
        #expect(js.contains("@property {number} default") && js.contains("findByDefault(default_)"))
    }

    @Test(.enabled(if: CodegenTests.node != nil)) func typeScriptBindingsRunWithTheJavaScriptSDK() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let wasm = try await TestModules.kitchenSink()
        let owner = try await server.publish("ks", wasm)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ts-bindings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(wasm).write(to: dir.appendingPathComponent("kitchen-sink.wasm"))
        let sdk = TestServer.repository.appendingPathComponent("Clients/typescript/src/index.js")
        // Through the CLI, as a user would.
        let generate = try await run(
            TestServer.binary,
            ["generate", "--lang", "typescript", "--wasm", dir.appendingPathComponent("kitchen-sink.wasm").path, "--out-dir", dir.path,
             "--file-name", "bindings.mjs", "--sdk-import", sdk.absoluteString])
        #expect(generate.status == 0, "\(generate.output)")
        let bindings = try String(contentsOf: dir.appendingPathComponent("bindings.mjs"), encoding: .utf8)
        #expect(bindings.contains("export class EverythingTable {") && bindings.contains("@typedef {object} Everything"))
        #expect(bindings.contains(" * @typedef {{ tag: 'circle', value: number }\n *   | { tag: 'rect', value: { width: number, height: number } }\n *   | { tag: 'point' }} Shape"))
        let check = try await run(CodegenTests.node!, ["--check", dir.appendingPathComponent("bindings.mjs").path])
        #expect(check.status == 0, "\(check.output)")

        let script = """
            import { StarlingClient } from \(jsString(sdk.absoluteString));
            import { bind, ALL_PUBLIC_QUERIES } from './bindings.mjs';
            const client = await StarlingClient.connect({ url: process.argv[2], database: 'ks', token: process.argv[3] });
            const { db, reducers } = bind(client);
            await client.subscribe([...ALL_PUBLIC_QUERIES, 'SELECT * FROM player']).applied;
            await reducers.insertEverything('from node', { tag: 'rect', value: { width: 1, height: 2 } }, null);
            await reducers.addPlayers('n', 3);
            await reducers.setTeam(7, 'seven');
            const row = db.everything.findById(1n);
            console.log(JSON.stringify({
              text: row?.text, shape: row?.shape, rows: db.everything.rows().length, players: db.player.count(),
              byName: String(db.player.findByName('n1')?.score), team: db.team.findById(7)?.name,
              team0: db.player.filterByTeam(0).map((p) => p.name),
            }));
            await client.close();
            """
        try Data(script.utf8).write(to: dir.appendingPathComponent("main.mjs"))
        let result = try await run(CodegenTests.node!, [dir.appendingPathComponent("main.mjs").path, server.url, owner])
        #expect(result.status == 0, "\(result.output)")
        let json = try JSONValue.parse(result.output.split(separator: "\n").last.map(String.init) ?? "")
        #expect(json["text"] == "from node" && json["rows"] == 1 && json["players"] == 3, "\(json)")
        #expect(json["shape"] == ["tag": "rect", "value": ["width": 1, "height": 2]], "\(json)")
        #expect(json["byName"] == "10" && json["team"] == "seven" && json["team0"] == ["n0"], "\(json)")
    }

    /// `node` on PATH, if any.
    static let node: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/node"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    private func jsString(_ s: String) -> String { "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'" }

    /// Runs a program to its end; returns its status and its stdout and stderr together.
    private func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await offload {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).out")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            let handle = try FileHandle(forWritingTo: out)
            p.standardOutput = handle
            p.standardError = handle
            try p.run()
            p.waitUntilExit()
            try handle.close()
            return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8))
        }
    }
}
