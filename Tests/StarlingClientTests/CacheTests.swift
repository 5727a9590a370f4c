import StarlingNetClient
import StarlingProtocol
import Testing

@testable import StarlingClient

/// The client cache without a server: reference counts, update pairing, reconciliation,
/// type strings, JSON messages, backoff.
@Suite struct CacheTests {
    static let info = TableInfo(
        name: "item", isPublic: true, columns: [ColumnInfo(name: "id", type: .u32), ColumnInfo(name: "label", type: .string)],
        primaryKey: 0, uniqueColumns: [0])

    static func row(_ id: UInt32, _ label: String) -> [UInt8] { AlgebraicValue.product([.u32(id), .string(label)]).bsatn }

    @Test func countsRowsPerQueryAndShowsThemOnce() throws {
        let t = TableCache(info: Self.info)
        let a = Self.row(1, "a")
        var (added, removed) = try t.apply(inserts: [a, a], deletes: [])
        #expect(added.map(\.bytes) == [a] && removed.isEmpty)
        #expect(t.entries[a]?.count == 2)
        (added, removed) = try t.apply(inserts: [a], deletes: [])
        #expect(added.isEmpty && t.entries[a]?.count == 3)
        (added, removed) = try t.apply(inserts: [], deletes: [a, a])
        #expect(added.isEmpty && removed.isEmpty && t.entries[a]?.count == 1)
        (added, removed) = try t.apply(inserts: [], deletes: [a])
        #expect(removed.map(\.fields) == [[.u32(1), .string("a")]] && t.entries.isEmpty)
        // A delete of a row the cache does not hold is ignored.
        (added, removed) = try t.apply(inserts: [], deletes: [Self.row(9, "x")])
        #expect(added.isEmpty && removed.isEmpty && t.entries.isEmpty)
    }

    @Test func pairsADeleteAndAnInsertWithTheSamePrimaryKeyAsAnUpdate() throws {
        let t = TableCache(info: Self.info)
        _ = try t.apply(inserts: [Self.row(1, "a"), Self.row(2, "b")], deletes: [])
        let (added, removed) = try t.apply(inserts: [Self.row(1, "A"), Self.row(3, "c")], deletes: [Self.row(1, "a"), Self.row(2, "b")])
        let (inserts, deletes, updates) = t.pair(added: added, removed: removed)
        #expect(inserts.map(\.fields) == [[.u32(3), .string("c")]])
        #expect(deletes.map(\.fields) == [[.u32(2), .string("b")]])
        #expect(updates.map { [$0.0.fields[1], $0.1.fields[1]] } == [[.string("a"), .string("A")]])
        #expect(t.find(column: 0, value: UInt32(1).bsatn)?.fields[1] == .string("A"))
        #expect(t.find(column: 0, value: UInt32(2).bsatn) == nil)
        #expect(t.filter(column: 1, value: "c".bsatn).map(\.fields[0]) == [.u32(3)])
    }

    @Test func aRowThatDoesNotMatchTheSchemaLeavesTheCacheUntouched() throws {
        let t = TableCache(info: Self.info)
        let good = Self.row(1, "a")
        #expect(throws: StarlingError.self) { try t.apply(inserts: [good, [1, 2, 3]], deletes: []) }
        #expect(t.entries.isEmpty)
    }

    @Test func reconcileFiresTheDifferenceOnly() throws {
        let schema = DatabaseSchema(tables: [Self.info], reducers: [])
        let cache = ClientCache(schema: schema)
        let seen = Recorder<String>()
        cache.addListener(
            "item", id: 1,
            RowListener(
                insert: { r, ctx in seen.append("insert \(r.fields[1]) \(ctx.kind)") },
                delete: { r, ctx in seen.append("delete \(r.fields[1]) \(ctx.kind)") },
                update: { o, n, ctx in seen.append("update \(o.fields[1])→\(n.fields[1]) \(ctx.kind)") }))
        let ctx = EventContext(kind: .subscribeApplied)
        for e in try cache.apply(table: "item", inserts: [Self.row(1, "a"), Self.row(2, "b"), Self.row(3, "c")], deletes: [], context: ctx, silent: false) {
            e()
        }
        #expect(seen.count == 3)
        seen.removeAll()
        let before = cache.snapshot()
        cache.clear()
        // Silently rebuilt from the server's current rows: 1 unchanged, 2 changed, 3 gone, 4 new.
        let rows = [Self.row(1, "a"), Self.row(2, "B"), Self.row(4, "d")]
        #expect(try cache.apply(table: "item", inserts: rows, deletes: [], context: ctx, silent: true).isEmpty)
        for e in cache.reconcile(before, context: EventContext(kind: .reconnect)) { e() }
        #expect(Set(seen.all) == ["delete string(\"c\") reconnect", "update string(\"b\")→string(\"B\") reconnect", "insert string(\"d\") reconnect"])
        #expect(seen.all.first?.hasPrefix("delete") == true && seen.all.last?.hasPrefix("insert") == true)
    }

    @Test func typeStringsParseBackToTheirTypes() throws {
        let types: [AlgebraicType] = [
            .bool, .u128, .bytes, .array(.option(.string)), .identity, .connectionId, .timestamp, .timeDuration, .scheduleAt,
            .product(ProductType([.init("x", .f32), .init("y", .f32)])), .unit,
            .sum(SumType([.init("circle", .f64), .init("rect", .product(ProductType([.init("w", .f64), .init("h", .f64)]))), .init("point")])),
            .array(.array(.product(ProductType([.init("a", .sum(SumType([.init("n"), .init("m", .i8)])))])))),
        ]
        for t in types {
            let parsed = try TypeString.parse(t.description)
            #expect(parsed == t, "\(t.description)")
        }
        #expect(try TypeString.parse(" array< ( 0: u8 , 1 : string ) > ").sameShape(as: .array(.product(ProductType([.init(nil, .u8), .init(nil, .string)])))))
        for bad in ["", "u7", "array<u8", "(x u8)", "{a | }", "u8 u8", "option<>"] {
            #expect(throws: StarlingError.self, "\(bad)") { try TypeString.parse(bad) }
        }
    }

    @Test func jsonMessagesReadLikeTheirBSATN() throws {
        let schema = DatabaseSchema(
            tables: [Self.info], reducers: [ReducerInfo(name: "put", params: [ColumnInfo(name: "label", type: .string)], lifecycle: nil)])
        let render = JSONRendering(
            rowType: { $0 == "item" ? Self.info.rowType : nil },
            reducerArgs: { _, bytes in
                guard case .product(let xs)? = try? AlgebraicValue.decode(.product(schema.reducers[0].argsType), from: bytes) else { return [] }
                return .array(xs.map { $0.json(.string) })
            })
        let update = TransactionUpdate(
            status: .failed("nope"), timestamp: Timestamp(microsSinceUnixEpoch: -5), callerIdentity: Identity(limbs: (1, 2, 3, 4)),
            callerConnectionId: ConnectionId(UInt128.max - 7),
            reducerCall: ReducerCallInfo(reducerName: "put", args: AlgebraicValue.product([.string("x")]).bsatn, requestId: 42),
            tables: [TableUpdate(tableName: "item", inserts: [Self.row(1, "é")], deletes: [Self.row(2, "b")])], executionMicros: 9)
        let messages: [ServerMessage] = [
            .identityToken(identity: Identity(limbs: (9, 8, 7, 6)), token: "t", connectionId: ConnectionId(77)),
            .subscribeApplied(requestId: 1, queryId: 2, tables: [TableRowSet(tableName: "item", rows: [Self.row(5, "five")])], executionMicros: 3),
            .unsubscribeApplied(requestId: 4, queryId: 2, tables: [], executionMicros: 0),
            .subscriptionError(requestId: nil, queryId: 3, error: "bad"),
            .transactionUpdate(update),
            .oneOffQueryResponse(
                requestId: 6, error: nil,
                tables: [OneOffTable(tableName: "item", schema: [ColumnSchema("id", .u32)], rows: [AlgebraicValue.product([.u32(3)]).bsatn])],
                executionMicros: 1),
        ]
        for m in messages {
            // `ServerMessage.json` and the server's `transactionJSON` give the same TransactionUpdate.
            let text = m.json(render).text
            if case .transactionUpdate(let u) = m {
                #expect(text == ServerMessage.transactionJSON(u, tables: u.tables.map { $0.json(render) }, render: render).text)
            }
            #expect(try JSONServerMessage.decode(text, schema: schema) == m, "\(text)")
        }
        #expect(throws: StarlingError.self) { try JSONServerMessage.decode(#"{"Nope": {}}"#, schema: schema) }
    }

    @Test func backoffGrowsToItsCapWithJitterAndGivesUp() {
        let p = ReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1), factor: 2, jitter: 0.5, maxAttempts: 6)
        #expect(p.delay(beforeAttempt: 1, random: 0) == .milliseconds(100))
        #expect(p.delay(beforeAttempt: 3, random: 0) == .milliseconds(400))
        #expect(p.delay(beforeAttempt: 3, random: 1) == .milliseconds(200))
        #expect(p.delay(beforeAttempt: 6, random: 0) == .seconds(1))
        #expect(p.delay(beforeAttempt: 7, random: 0) == nil)
        #expect(ReconnectPolicy().delay(beforeAttempt: 1000, random: 0) == .seconds(10))
    }

    @Test func urlsAndErrorsReadWell() throws {
        #expect(try StarlingConnection.parseURL("ws://h:1/") == ("http://h:1", "ws://h:1"))
        #expect(try StarlingConnection.parseURL("http://127.0.0.1:3000") == ("http://127.0.0.1:3000", "ws://127.0.0.1:3000"))
        #expect(try StarlingConnection.parseURL("https://example.com/") == ("https://example.com", "wss://example.com"))
        #expect(try StarlingConnection.parseURL("wss://h:1") == ("https://h:1", "wss://h:1"))
        #expect(throws: StarlingError.self) { try StarlingConnection.parseURL("ftp://example.com") }
        #expect(throws: StarlingError.self) { try StarlingConnection.parseURL("https://") }
        #expect(StarlingError.closed(by: nil).code == .connectionLost)
        #expect(StarlingError.closed(by: .init(code: .policyViolation, reason: "slow consumer")).code == .slowConsumer)
        #expect(StarlingError.closed(by: .init(code: .init(rawValue: 1012), reason: "schema")).code == .serviceRestart)
        #expect(ServerHTTP.pathSegment("a b/é") == "a%20b%2F%C3%A9")
    }
}
