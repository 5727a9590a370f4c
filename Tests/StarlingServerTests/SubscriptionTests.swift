import Foundation
import StarlingNetClient
import StarlingProtocol
import StarlingTypes
import Testing

/// A JSON-protocol client for driving subscriptions in tests.
final class LiveClient {
    let connection: WebSocketConnection
    private var messages: NetStream<WebSocketMessage>.AsyncIterator
    private var nextRequest: UInt32 = 100

    init(_ server: ServerProcess, database: String, token: String, query: String = "") async throws {
        connection = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(server.port)/v1/database/\(database)/subscribe\(query)",
            subprotocol: WireFormat.json.subprotocol, headers: [("Authorization", "Bearer \(token)")])
        messages = connection.messages.makeAsyncIterator()
        guard try await next()["IdentityToken"] != nil else { throw TestFailure("no IdentityToken first") }
    }

    func next() async throws -> JSONValue {
        guard case .text(let text)? = try await messages.next() else { throw TestFailure("expected a text message") }
        return try JSONValue.parse(text)
    }

    /// Subscribes a query set; returns SubscribeApplied or SubscriptionError.
    func subscribe(_ queryId: UInt32, _ queries: [String]) async throws -> JSONValue {
        try await connection.send(text: ClientMessage.subscribe(requestId: queryId, queryId: queryId, queries: queries).json.text)
        return try await next()
    }

    /// Calls a reducer and returns the TransactionUpdate its caller gets.
    func call(_ reducer: String, _ args: JSONValue) async throws -> JSONValue {
        nextRequest += 1
        try await connection.send(text: ClientMessage.callReducer(requestId: nextRequest, reducer: reducer, args: .json(args)).json.text)
        let update = try await next()["TransactionUpdate"]
        guard let update, update["reducer_call"]?["request_id"] == .integer(Int64(nextRequest)) else {
            throw TestFailure("expected the caller's TransactionUpdate, got \(String(describing: update))")
        }
        return update
    }

    func close() async { await connection.close(code: .normalClosure, reason: "") }
}

/// What one TransactionUpdate carries: per table, the `text` (notes) or `name` (teams) of the
/// rows inserted and deleted, sorted.
func changes(_ update: JSONValue?) -> [String: (inserts: [String], deletes: [String])] {
    var out: [String: (inserts: [String], deletes: [String])] = [:]
    for t in update?["tables"]?.arrayValue ?? [] {
        func labels(_ key: String) -> [String] {
            (t[key]?.arrayValue ?? []).map { ($0["text"] ?? $0["name"])?.stringValue ?? "?" }.sorted()
        }
        out[t["table_name"]?.stringValue ?? "?"] = (labels("inserts"), labels("deletes"))
    }
    return out
}

/// Filtered, joined and overlapping subscriptions with row-level security, through the real server.
@Suite(.serialized) struct SubscriptionTests {
    @Test func subscriptionsFollowFiltersJoinsAndRowSecurity() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let (_, owner) = try await server.identity()
        let (_, tokenA) = try await server.identity()
        let (_, tokenB) = try await server.identity()
        #expect(try await server.request("POST", "/v1/database/ks", token: owner, body: try await ServerModules.kitchenSink()).status == 200)
        for (id, name) in [(1, "red"), (2, "blue")] {
            let r = try await server.request("POST", "/v1/database/ks/call/set_team", token: owner, body: Array("[\(id), \"\(name)\"]".utf8))
            #expect(r.status == 200)
        }
        let a = try await LiveClient(server, database: "ks", token: tokenA)
        let b = try await LiveClient(server, database: "ks", token: tokenB)

        let applied = try await a.subscribe(1, ["SELECT * FROM note WHERE team = 1"])
        #expect(applied["SubscribeApplied"]?["tables"]?[0]?["rows"]?.arrayValue?.isEmpty == true, "\(applied)")
        _ = try await a.subscribe(2, ["SELECT t.* FROM team t JOIN note n ON n.team = t.id"])

        // B's private note is invisible to A (row-level security); B, not subscribed, gets only its outcome.
        #expect(changes(try await b.call("add_note", [1, "b-private", false])).isEmpty)
        // A shared note in team 1: A sees the note (query 1) and its team (query 2) in one message.
        #expect(changes(try await b.call("add_note", [1, "b-shared", true])).isEmpty)
        let first = try await a.next()["TransactionUpdate"]
        var seen = changes(first)
        #expect(seen["note"]?.inserts == ["b-shared"] && seen["team"]?.inserts == ["red"])
        let firstId = try #require(first?["tables"]?.arrayValue?.first { $0["table_name"] == "note" }?["inserts"]?[0]?["id"])
        // A second shared note: the team was already joined, so only the note arrives.
        _ = try await b.call("add_note", [1, "b-shared-2", true])
        let second = try await a.next()["TransactionUpdate"]
        seen = changes(second)
        #expect(seen["note"]?.inserts == ["b-shared-2"] && seen["team"] == nil)
        let secondId = try #require(second?["tables"]?[0]?["inserts"]?[0]?["id"])
        // A's own private note in team 2: its team appears through the join; the note is not in query 1.
        seen = changes(try await a.call("add_note", [2, "a-own", false]))
        #expect(seen["team"]?.inserts == ["blue"] && seen["note"] == nil)

        // Unsharing one red note: the note leaves; red stays, still joined with b-shared.
        _ = try await b.call("share_note", [secondId, false])
        seen = changes(try await a.next()["TransactionUpdate"])
        #expect(seen["note"]?.deletes == ["b-shared-2"] && seen["team"] == nil)
        // Renaming a joined team is an update: delete and insert in one message.
        _ = try await LiveClient.httpCall(server, owner, "set_team", [1, "crimson"])
        seen = changes(try await a.next()["TransactionUpdate"])
        #expect(seen["team"]?.deletes == ["red"] && seen["team"]?.inserts == ["crimson"])

        // Overlapping query sets: a row in two of A's queries arrives once per query.
        _ = try await a.subscribe(3, ["SELECT * FROM note WHERE shared = true"])
        _ = try await b.call("add_note", [1, "both", true])
        let overlapping = try await a.next()["TransactionUpdate"]
        seen = changes(overlapping)
        #expect(seen["note"]?.inserts == ["both", "both"] && seen["team"] == nil)
        let bothId = try #require(overlapping?["tables"]?[0]?["inserts"]?[0]?["id"])
        try await a.connection.send(text: ClientMessage.unsubscribe(requestId: 9, queryId: 3).json.text)
        let removed = try await a.next()["UnsubscribeApplied"]
        let removedTexts = removed?["tables"]?[0]?["rows"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.sorted()
        #expect(removedTexts == ["b-shared", "both"], "\(String(describing: removed))")

        // Deleting the visible red notes: each leaves query 1; crimson leaves the join with the last.
        _ = try await b.call("delete_note", [firstId])
        seen = changes(try await a.next()["TransactionUpdate"])
        #expect(seen["note"]?.deletes == ["b-shared"] && seen["team"] == nil, "\(seen)")
        _ = try await b.call("delete_note", [bothId])
        seen = changes(try await a.next()["TransactionUpdate"])
        #expect(seen["note"]?.deletes == ["both"] && seen["team"]?.deletes == ["crimson"], "\(seen)")
        // Changes A cannot see send A nothing: its next message answers its own call.
        _ = try await b.call("delete_note", [secondId])
        #expect(changes(try await a.call("set_team", [9, "nobody"])).isEmpty)
        await a.close()
        await b.close()
    }

    @Test func queriesAndOneOffQueriesHonourRowSecurityAndPrivateTables() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let (_, owner) = try await server.identity()
        let (_, tokenA) = try await server.identity()
        let (_, tokenB) = try await server.identity()
        #expect(try await server.request("POST", "/v1/database/ks", token: owner, body: try await ServerModules.kitchenSink()).status == 200)
        let a = try await LiveClient(server, database: "ks", token: tokenA)
        let b = try await LiveClient(server, database: "ks", token: tokenB)
        _ = try await a.call("add_note", [1, "a-private", false])
        _ = try await b.call("add_note", [1, "b-private", false])
        _ = try await b.call("add_note", [2, "b-shared", true])

        func sql(_ token: String, _ query: String) async throws -> [String] {
            let r = try await server.request("POST", "/v1/database/ks/sql", token: token, body: Array(query.utf8))
            return try (JSONValue.parse(r.text)[0]?["rows"]?.arrayValue ?? []).compactMap { $0[0]?.stringValue }.sorted()
        }
        #expect(try await sql(tokenA, "SELECT text FROM note") == ["a-private", "b-shared"])
        #expect(try await sql(tokenB, "SELECT text FROM note") == ["b-private", "b-shared"])
        #expect(try await sql(owner, "SELECT text FROM note") == ["a-private", "b-private", "b-shared"])
        #expect(try await sql(tokenA, "SELECT n.text FROM note n JOIN note m ON m.team = n.team") == ["a-private", "b-shared"])

        try await a.connection.send(text: ClientMessage.oneOffQuery(requestId: 5, query: "SELECT * FROM note WHERE team = 1").json.text)
        let oneOff = try await a.next()["OneOffQueryResponse"]
        #expect(oneOff?["tables"]?[0]?["rows"]?.arrayValue?.compactMap { $0["text"]?.stringValue } == ["a-private"], "\(String(describing: oneOff))")

        let initial = try await b.subscribe(1, ["SELECT * FROM note"])
        let rows = initial["SubscribeApplied"]?["tables"]?[0]?["rows"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.sorted()
        #expect(rows == ["b-private", "b-shared"])
        let hidden = try await b.subscribe(2, ["SELECT p.* FROM team p JOIN player q ON q.team = p.id"])
        #expect(hidden["SubscriptionError"]?["error"]?.stringValue?.contains("`player` not found") == true, "\(hidden)")
        let bad = try await b.subscribe(3, ["SELECT * FROM note", "SELECT * FROM note ORDER BY id"])
        #expect(bad["SubscriptionError"]?["error"]?.stringValue?.contains("query 2") == true, "\(bad)")
        await a.close()
        await b.close()
    }
}

extension LiveClient {
    /// A reducer call over HTTP (the owner's, here).
    static func httpCall(_ server: ServerProcess, _ token: String, _ reducer: String, _ args: JSONValue) async throws -> Int {
        try await server.request("POST", "/v1/database/ks/call/\(reducer)", token: token, body: Array(args.text.utf8)).status
    }
}

/// A server with `--fsync policy` whose every fsync is slowed by `delayMicros`
/// (`STARLING_FSYNC_DELAY_MICROS`) and the kitchen-sink module published as `ks`; returns it and
/// the owner's token. The caller stops the server.
private func slowFsyncServer(_ policy: String, delayMicros: Int = 0) async throws -> (ServerProcess, String) {
    let server = try await ServerProcess.start(
        arguments: ["--fsync", policy],
        environment: delayMicros > 0 ? ["STARLING_FSYNC_DELAY_MICROS": "\(delayMicros)"] : [:])
    do {
        let (_, owner) = try await server.identity()
        #expect(try await server.request("POST", "/v1/database/ks", token: owner, body: try await ServerModules.kitchenSink()).status == 200)
        return (server, owner)
    } catch {
        server.stop()
        throw error
    }
}

/// Confirmed reads: a client connected with `?confirmed=true` gets a transaction's update only
/// once the commitlog made it durable. The server's fsyncs are slowed to 1.5 s
/// (`STARLING_FSYNC_DELAY_MICROS`), so the difference shows: an ordinary subscriber sees the
/// change at once, the confirmed one after the fsync.
@Suite(.serialized) struct ConfirmedReadTests {
    @Test func confirmedClientsWaitForTheFsync() async throws {
        let (server, owner) = try await slowFsyncServer("batch", delayMicros: 1_500_000)
        defer { server.stop() }
        let plain = try await LiveClient(server, database: "ks", token: owner)
        let confirmed = try await LiveClient(server, database: "ks", token: owner, query: "?confirmed=true")
        _ = try await plain.subscribe(1, ["SELECT * FROM team"])
        _ = try await confirmed.subscribe(1, ["SELECT * FROM team"])
        // Let earlier commits (the module's publication) become durable first.
        try await Task.sleep(for: .seconds(3.5))

        let start = ContinuousClock.now
        _ = try await plain.call("set_team", [3, "green"])
        let plainAt = ContinuousClock.now - start
        let update = try await confirmed.next()["TransactionUpdate"]
        let confirmedAt = ContinuousClock.now - start
        #expect(changes(update)["team"]?.inserts == ["green"])
        #expect(plainAt < .seconds(1), "the ordinary subscriber waited \(plainAt)")
        #expect(confirmedAt > .seconds(1.2), "the confirmed update came after \(confirmedAt), before the fsync")
        let metrics = try await server.request("GET", "/metrics").text
        #expect(metrics.contains(#"starling_commitlog_fsyncs_total{database="ks"}"#), "\(metrics)")
        #expect(metrics.contains(#"starling_commitlog_bytes_total{database="ks"}"#))
        await plain.close()
        await confirmed.close()
    }
}

/// `--fsync every-commit`: a call is acknowledged only once its commit is fsynced, while the
/// database thread goes on (its replies wait, parked, for the log). The server's fsyncs are slowed
/// to 0.6 s, so the wait shows; what a client sent after the call comes back after the call's reply.
@Suite(.serialized) struct EveryCommitReplyTests {
    @Test func repliesAndUpdatesWaitForTheFsyncAndKeepTheirOrder() async throws {
        let (server, owner) = try await slowFsyncServer("every-commit", delayMicros: 600_000)
        defer { server.stop() }
        let caller = try await LiveClient(server, database: "ks", token: owner)
        let watcher = try await LiveClient(server, database: "ks", token: owner)
        _ = try await watcher.subscribe(1, ["SELECT * FROM team"])

        let start = ContinuousClock.now
        // The call and a query right behind it on the same connection.
        try await caller.connection.send(
            text: ClientMessage.callReducer(requestId: 7, reducer: "set_team", args: .json([4, "amber"])).json.text)
        try await caller.connection.send(text: ClientMessage.oneOffQuery(requestId: 8, query: "SELECT * FROM team").json.text)
        let reply = try await caller.next()["TransactionUpdate"]
        let replyAt = ContinuousClock.now - start
        #expect(reply?["reducer_call"]?["request_id"] == .integer(7), "\(String(describing: reply))")
        #expect(replyAt > .seconds(0.5), "the caller was answered after \(replyAt), before the fsync")
        let query = try await caller.next()["OneOffQueryResponse"]
        #expect(query?["request_id"] == .integer(8), "the query's answer follows the call's: \(String(describing: query))")
        let names = query?["tables"]?[0]?["rows"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("amber"))
        let update = try await watcher.next()["TransactionUpdate"]
        #expect(changes(update)["team"]?.inserts == ["amber"])
        #expect(ContinuousClock.now - start > .seconds(0.5))
        await caller.close()
        await watcher.close()
    }
}

/// A query with more subscribers than `DatabaseHost.groupedFanOutMinimum`: its updates go to the
/// event loops as groups that they write out themselves. Every subscriber gets every update once
/// and in order, the caller only its own reply, and a confirmed-read subscriber (answered apart,
/// after durability) its updates too.
@Suite(.serialized) struct GroupedFanOutTests {
    @Test func everySubscriberGetsEachUpdateOnceAndInOrder() async throws {
        let (server, owner) = try await slowFsyncServer("batch")
        defer { server.stop() }
        let caller = try await LiveClient(server, database: "ks", token: owner)
        _ = try await caller.subscribe(1, ["SELECT * FROM team"])
        var watchers: [LiveClient] = []
        for i in 0..<40 {
            let watcher = try await LiveClient(server, database: "ks", token: owner, query: i == 0 ? "?confirmed=true" : "")
            _ = try await watcher.subscribe(1, ["SELECT * FROM team"])
            watchers.append(watcher)
        }
        let names = ["red", "blue", "gold"]
        for (i, name) in names.enumerated() {
            // `call` fails on anything but the caller's own reply: a copy of the group's frame would show here.
            let reply = try await caller.call("set_team", [.integer(Int64(i + 5)), .string(name)])
            #expect(changes(reply)["team"]?.inserts == [name])
        }
        for watcher in watchers {
            for name in names {
                let update = try await watcher.next()["TransactionUpdate"]
                #expect(changes(update)["team"]?.inserts == [name])
            }
        }
        await caller.close()
        for watcher in watchers { await watcher.close() }
    }
}
