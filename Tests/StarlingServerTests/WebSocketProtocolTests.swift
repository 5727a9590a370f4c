import Foundation
import StarlingNetClient
import StarlingProtocol
import StarlingTypes
import Testing

/// Subscriptions, fan-out and one-off queries over both protocols against the real server.
@Suite(.serialized) struct WebSocketProtocolTests {
    /// A BSATN connection's next server message.
    static func next(_ it: inout NetStream<WebSocketMessage>.AsyncIterator) async throws -> ServerMessage {
        guard case .binary(let bytes)? = try await it.next() else { throw TestFailure("expected a binary message") }
        return try bytes.withUnsafeBytes { b throws(ProtocolError) in try ServerMessage.decode(bsatn: b) }
    }

    /// A JSON connection's next server message.
    static func next(json it: inout NetStream<WebSocketMessage>.AsyncIterator) async throws -> JSONValue {
        guard case .text(let text)? = try await it.next() else { throw TestFailure("expected a text message") }
        return try JSONValue.parse(text)
    }

    @Test func fanOutReachesSubscribersOnlyAndStopsAfterUnsubscribe() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let (ownerId, owner) = try await server.identity()
        let (otherId, other) = try await server.identity()
        #expect(try await server.request("POST", "/v1/database/ks", token: owner, body: try await ServerModules.kitchenSink()).status == 200)
        let url = "ws://127.0.0.1:\(server.port)/v1/database/ks/subscribe"
        let a = try await WebSocketClient.connect(url: url, subprotocol: WireFormat.bsatn.subprotocol, headers: [("Authorization", "Bearer \(owner)")])
        let b = try await WebSocketClient.connect(url: url, subprotocol: WireFormat.json.subprotocol, headers: [("Authorization", "Bearer \(other)")])
        var ai = a.messages.makeAsyncIterator()
        var bi = b.messages.makeAsyncIterator()
        guard case .identityToken(let aId, let aToken, _) = try await Self.next(&ai) else { throw TestFailure("no IdentityToken") }
        #expect(aId.hexString == ownerId && aToken == owner)
        #expect(try await Self.next(json: &bi)["IdentityToken"]?["identity"]?.stringValue == otherId)

        // A (the owner) subscribes to the private player table.
        try await a.send(binary: ClientMessage.subscribe(requestId: 1, queryId: 7, queries: ["SELECT * FROM player"]).bsatn)
        guard case .subscribeApplied(1, 7, let initial, _) = try await Self.next(&ai) else { throw TestFailure("no SubscribeApplied") }
        #expect(initial.count == 1 && initial[0].tableName == "player" && initial[0].rows.isEmpty)

        // B calls; B learns its outcome (no rows: it subscribes to nothing), A sees the rows.
        try await b.send(text: #"{"CallReducer": {"request_id": 11, "reducer": "add_players", "args": ["b", 2]}}"#)
        let bUpdate = try await Self.next(json: &bi)["TransactionUpdate"]
        #expect(bUpdate?["status"] == "committed" && bUpdate?["reducer_call"]?["request_id"] == 11)
        #expect(bUpdate?["tables"]?.arrayValue?.isEmpty == true)
        #expect(bUpdate?["reducer_call"]?["args"] == ["b", 2])
        guard case .transactionUpdate(let u) = try await Self.next(&ai) else { throw TestFailure("A got no TransactionUpdate") }
        #expect(u.status == .committed && u.reducerCall.reducerName == "add_players" && u.reducerCall.requestId == 0)
        #expect(u.callerIdentity.hexString == otherId)
        #expect(u.tables.count == 1 && u.tables[0].inserts.count == 2 && u.tables[0].deletes.isEmpty)

        // A failed call reaches only its caller.
        try await a.send(binary: ClientMessage.callReducer(requestId: 12, reducer: "insert_then_fail", args: .bsatn([])).bsatn)
        guard case .transactionUpdate(let failed) = try await Self.next(&ai) else { throw TestFailure("no failure update") }
        #expect(failed.reducerCall.requestId == 12 && failed.tables.isEmpty)
        if case .failed(let message) = failed.status { #expect(message.contains("failing on purpose")) } else { Issue.record("not failed") }

        // After Unsubscribe, B's calls no longer reach A: the next message A gets is its query's answer.
        try await a.send(binary: ClientMessage.unsubscribe(requestId: 2, queryId: 7).bsatn)
        guard case .unsubscribeApplied(2, 7, let removed, _) = try await Self.next(&ai) else { throw TestFailure("no UnsubscribeApplied") }
        #expect(removed.first?.rows.count == 2)
        try await b.send(text: #"{"CallReducer": {"request_id": 13, "reducer": "add_players", "args": ["c", 1]}}"#)
        #expect(try await Self.next(json: &bi)["TransactionUpdate"]?["status"] == "committed")
        try await a.send(binary: ClientMessage.oneOffQuery(requestId: 3, query: "SELECT COUNT(*) AS n FROM player").bsatn)
        guard case .oneOffQueryResponse(3, nil, let tables, _) = try await Self.next(&ai) else { throw TestFailure("no OneOffQueryResponse") }
        let count = try AlgebraicValue.decode(.product(tables[0].rowType), from: tables[0].rows[0])
        #expect(tables[0].schema.map(\.name) == ["n"] && count == .product([.u64(3)]), "\(count)")
        // No subscriptions left: a BSATN caller's reply is written from the call's parts; it decodes as the full message.
        var addArgs = BSATNWriter()
        addArgs.write("d")
        addArgs.write(UInt32(1))
        try await a.send(binary: ClientMessage.callReducer(requestId: 14, reducer: "add_players", args: .bsatn(addArgs.bytes)).bsatn)
        guard case .transactionUpdate(let own) = try await Self.next(&ai) else { throw TestFailure("no reply to A's call") }
        #expect(own.status == .committed && own.tables.isEmpty && own.callerIdentity.hexString == ownerId)
        #expect(own.reducerCall == ReducerCallInfo(reducerName: "add_players", args: addArgs.bytes, requestId: 14))

        // Errors: duplicate query id, unknown table, bad SQL in a one-off query.
        try await b.send(text: #"{"Subscribe": {"request_id": 4, "query_id": 1, "query_strings": ["SELECT * FROM nowhere"]}}"#)
        #expect(try await Self.next(json: &bi)["SubscriptionError"]?["error"]?.stringValue?.contains("`nowhere` not found") == true)
        try await b.send(text: #"{"OneOffQuery": {"request_id": 5, "query_string": "SELECT * FROM player"}}"#)
        let hidden = try await Self.next(json: &bi)["OneOffQueryResponse"]
        #expect(hidden?["error"]?.stringValue?.contains("table `player` not found") == true, "\(String(describing: hidden))")
        // Prometheus metrics count what happened.
        let metrics = try await server.request("GET", "/metrics").text
        #expect(metrics.contains(#"starling_connected_clients{database="ks"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"starling_subscriptions{database="ks"} 0"#))
        #expect(metrics.contains(#"starling_transactions_committed_total{database="ks"}"#))
        #expect(metrics.contains(#"starling_reducer_failures_total{database="ks"} 1"#))
        #expect(metrics.contains("starling_reducer_duration_seconds_bucket"))
        await a.close(code: .normalClosure, reason: "")
        await b.close(code: .normalClosure, reason: "")
    }
}

/// A client that stops reading is disconnected once its backlog passes the limit, instead of
/// growing the server's memory; everyone else keeps being served.
@Suite(.serialized) struct SlowConsumerTests {
    @Test func aClientThatDoesNotReadIsCutOff() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory", "--max-client-backlog", "1000000"])
        defer { server.stop() }
        let (_, owner) = try await server.identity()
        #expect(try await server.request("POST", "/v1/database/ks", token: owner, body: try await ServerModules.kitchenSink()).status == 200)
        let url = "ws://127.0.0.1:\(server.port)/v1/database/ks/subscribe"
        let slow = try await WebSocketClient.connect(
            url: url, subprotocol: WireFormat.json.subprotocol, headers: [("Authorization", "Bearer \(owner)")], bufferedMessageLimit: 1)
        try await slow.send(text: ClientMessage.subscribe(requestId: 1, queryId: 1, queries: ["SELECT * FROM player"]).json.text)
        // Each call inserts 500 rows of ~2 KB: ~1 MB of JSON per update, far more than the socket buffers hold.
        let prefix = String(repeating: "p", count: 2000)
        var cutOff = false
        for k in 0..<60 {
            let body = JSONValue.array([.string("\(prefix)\(k)-"), .integer(500)]).utf8
            let r = try await server.request("POST", "/v1/database/ks/call/add_players", token: owner, body: body)
            #expect(r.status == 200, "\(r.text)")
            if try await server.request("GET", "/metrics").text.contains(#"starling_connected_clients{database="ks"} 0"#) {
                cutOff = true
                break
            }
        }
        #expect(cutOff, "the slow client was never disconnected")
        // Draining what reached the client ends the stream (closed by the server).
        var drained = 0
        do { for try await _ in slow.messages { drained += 1 } } catch {}
        #expect(!slow.isOpen)
        #expect(try await server.request("GET", "/v1/ping").status == 200)
    }
}
