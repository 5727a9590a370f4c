import Foundation
import Observation
import StarlingClient
import Testing

/// A row callback as the tests record it.
enum Seen<Row: Sendable & Equatable>: Sendable, Equatable {
    case insert(Row, EventKind)
    case delete(Row, EventKind)
    case update(Row, Row, EventKind)

    var kind: String {
        switch self {
        case .insert: "insert"
        case .delete: "delete"
        case .update: "update"
        }
    }
}

/// Records every callback of `table`.
func record<Row: Sendable & Equatable>(_ table: Table<Row>) -> Recorder<Seen<Row>> {
    let r = Recorder<Seen<Row>>()
    table.onInsert { row, ctx in r.append(.insert(row, ctx.kind)) }
    table.onDelete { row, ctx in r.append(.delete(row, ctx.kind)) }
    table.onUpdate { old, new, ctx in r.append(.update(old, new, ctx.kind)) }
    return r
}

/// One server with the kitchen-sink module per test, a client per protocol.
struct KitchenSink {
    let server: TestServer
    let owner: String
    let database = "ks"

    static func start() async throws -> KitchenSink {
        let server = try await TestServer.start()
        let owner = try await server.publish("ks", try await TestModules.kitchenSink())
        return KitchenSink(server: server, owner: owner)
    }

    func connect(_ format: WireFormat, token: String? = nil, reconnect: ReconnectPolicy? = ReconnectPolicy()) async throws -> StarlingConnection {
        try await StarlingConnection.connect(
            to: server.url, database: database, token: token ?? owner, options: ConnectionOptions(wireFormat: format, reconnect: reconnect))
    }
}

/// The SDK against the real server running the kitchen-sink module, in both wire formats.
@Suite struct KitchenSinkTests {
    @Test(arguments: [WireFormat.bsatn, .json])
    func everyColumnTypeThroughInsertUpdateAndDelete(format: WireFormat) async throws {
        let ks = try await KitchenSink.start()
        defer { ks.server.stop() }
        let conn = try await ks.connect(format)
        try conn.db.verify()
        let table = conn.db.everything
        let events = record(table)
        let sub = try await conn.subscribe(["SELECT * FROM everything"])
        #expect(sub.state == .applied && table.count == 0)

        let first = try await conn.reducers.insertEverything(text: "héllo 🐦", shape: .rect(width: 1.5, height: 2), maybe: nil)
        let expected = Everything(
            id: 1, flag: true, i8: -8, u16: 16, i32: -32, i64: -64, u128: .max, i128: .min, f32: 1.5, f64: -2.25, text: "héllo 🐦",
            blob: [0, 1, 255], numbers: [1, -2, 3], maybe: nil, who: conn.identity, when: first.timestamp,
            duration: TimeDuration(micros: 1_000_000), position: Position(x: 1, y: 2), shape: .rect(width: 1.5, height: 2),
            path: [Position(x: 0, y: 0), Position(x: 3, y: 4)])
        // The cache holds the row (and its callback ran) when the call returns.
        #expect(events.all == [.insert(expected, .transaction)])
        #expect(first.transaction.isOwnCall && first.reducer == "insert_everything")
        #expect(first.transaction.args == [.string("héllo 🐦"), .sum(tag: 1, value: .product([.f64(1.5), .f64(2)])), .option(nil)])

        // The same row, generically.
        let dynamic = try #require(try conn.table(named: "everything").find("id", equals: UInt64(1)))
        #expect(dynamic["u128"] == .u128(.max) && dynamic["i128"] == .i128(.min) && dynamic["blob"] == .bytes([0, 1, 255]))
        #expect(dynamic["who"] == .identity(conn.identity) && dynamic["maybe"] == .option(nil))
        #expect(dynamic["path"] == .array([.product([.f32(0), .f32(0)]), .product([.f32(3), .f32(4)])]))

        try await conn.reducers.insertEverything(text: "two", shape: .point, maybe: "some text")
        try await conn.reducers.insertEverything(text: "three", shape: .circle(0.25), maybe: "")
        #expect(events.all.dropFirst().map { $0.row.map { [String($0.id), "\($0.shape)", $0.maybe ?? "nil"] } } == [
            ["2", "point", "some text"], ["3", "circle(0.25)", ""],
        ])

        // An update (delete + insert with the same primary key in one transaction) is one onUpdate.
        events.removeAll()
        try await ks.server.sql(ks.database, "UPDATE everything SET text = 'changed', f64 = 0.5, maybe = 'now' WHERE id = 1", token: ks.owner)
        try await waitUntil("the update") { events.count > 0 }
        guard case .update(let old, let new, .transaction) = events.all.first else { throw TestFailure("expected an update: \(events.all)") }
        #expect(old == expected)
        var changed = expected
        changed.text = "changed"
        changed.f64 = 0.5
        changed.maybe = "now"
        #expect(new == changed && events.count == 1)
        #expect(table.find(id: 1) == changed && table.count == 3)

        events.removeAll()
        try await ks.server.sql(ks.database, "DELETE FROM everything WHERE id = 2", token: ks.owner)
        try await waitUntil("the delete") { events.count > 0 }
        #expect(events.all.map(\.kind) == ["delete"] && events.all.first?.row?.text == "two")
        #expect(table.find(id: 2) == nil && table.rows.map(\.id).sorted() == [1, 3])
        await conn.close()
    }

    @Test func aPrivateTableFollowedByItsOwnerThroughManyChangesInOneReducer() async throws {
        let ks = try await KitchenSink.start()
        defer { ks.server.stop() }
        let conn = try await ks.connect(.bsatn)
        let players = conn.db.player
        let events = record(players)
        let transactions = Recorder<TransactionInfo>()
        conn.onEvent { if case .transaction(let t) = $0, t.reducer == "check_queries" { transactions.append(t) } }
        _ = try await conn.subscribe(["SELECT * FROM player"])
        try await conn.reducers.addPlayers(prefix: "p", count: 30)
        #expect(players.count == 30)
        let p7 = try #require(players.find(name: "p7"))
        #expect(p7.score == 70 && p7.team == 1 && players.find(id: p7.id) == p7)
        #expect(players.filter(team: 0).count == 10 && players.filter(score: 70) == [p7])

        events.removeAll()
        try await conn.reducers.checkQueries(expectedCount: 30)
        let updates = events.all.compactMap { if case .update(let o, let n, _) = $0 { (o, n) } else { nil } }
        #expect(updates.map { [$0.0.name, String($0.0.score), String($0.1.score)] } == [["p3", "30", "31"]])
        let deleted = events.all.compactMap { if case .delete(let r, _) = $0 { r.name } else { nil } }.sorted()
        #expect(deleted == ["p20", "p21", "p22", "p23", "p24", "p25", "p26", "p27", "p28", "p29", "p4"])
        #expect(!events.all.contains { $0.kind == "insert" } && players.count == 19)
        #expect(transactions.all.map(\.args) == [[.u64(30)]] && transactions.all.first?.isOwnCall == true)
        try await conn.reducers.clearPlayers()
        #expect(players.count == 0)
        await conn.close()
    }

    @Test func refusedQueriesAndReducerFailuresAreTypedErrors() async throws {
        let ks = try await KitchenSink.start()
        defer { ks.server.stop() }
        let stranger = try await ks.connect(.bsatn, token: try await ks.server.newToken())
        let refused = await #expect(throws: StarlingError.self) { try await stranger.subscribe(["SELECT * FROM player"]) }
        #expect(refused?.code == .subscriptionFailed && refused?.reason?.contains("table `player` not found") == true, "\(String(describing: refused))")
        let bad = await #expect(throws: StarlingError.self) { try await stranger.subscribe(["SELECT * FROM everything", "SELECT * FROM nowhere"]) }
        #expect(bad?.code == .subscriptionFailed && bad?.reason?.contains("nowhere") == true)

        let conn = try await ks.connect(.json)
        _ = try await conn.subscribe(["SELECT * FROM player"])
        let failed = await #expect(throws: StarlingError.self) { try await conn.reducers.insertThenFail() }
        #expect(failed?.code == .reducerFailed && failed?.reason == "failing on purpose")
        #expect(failed?.message == "reducer `insert_then_fail` failed: failing on purpose")
        let duplicate = await #expect(throws: StarlingError.self) { try await conn.reducers.duplicateName() }
        #expect(duplicate?.code == .reducerFailed && (duplicate?.reason ?? "").lowercased().contains("unique"))
        let trapped = await #expect(throws: StarlingError.self) { try await conn.reducers.insertThenTrap(index: 10) }
        #expect(trapped?.code == .reducerFailed && trapped?.reason?.isEmpty == false)
        #expect(conn.db.player.count == 0)
        let unknown = await #expect(throws: StarlingError.self) { try await conn.call("no_such_reducer") }
        #expect(unknown?.code == .unknownReducer && unknown?.message.contains("no reducer `no_such_reducer`") == true)
        let count = await #expect(throws: StarlingError.self) { try await conn.call("add_players", [.string("x")]) }
        #expect(count?.code == .invalidArguments && count?.message.contains("takes 2 argument(s) (prefix, count), got 1") == true)
        let type = await #expect(throws: StarlingError.self) { try await conn.call("add_players", [.string("x"), .i32(-1)]) }
        #expect(type?.code == .invalidArguments)
        // Still usable after all that; the generic call works too.
        #expect(try await conn.call("add_players", [.string("ok"), .u32(1)]).transaction.status == .committed)
        #expect(conn.db.player.rows.map(\.name) == ["ok0"])
        await conn.close()
        await stranger.close()
        let closed = await #expect(throws: StarlingError.self) { try await conn.reducers.clearPlayers() }
        #expect(closed?.code == .closed)
    }

    @Test func subscribeUnsubscribeAndResubscribe() async throws {
        let ks = try await KitchenSink.start()
        defer { ks.server.stop() }
        let conn = try await ks.connect(.bsatn)
        for text in ["a", "b"] { try await conn.reducers.insertEverything(text: text, shape: .point, maybe: nil) }
        let table = conn.db.everything
        let events = record(table)
        let applied = Recorder<Bool>()
        let sub = try await conn.subscribe(["SELECT * FROM everything"], onApplied: { applied.append($0) })
        #expect(applied.all == [false] && table.count == 2)
        #expect(events.all.map { "\($0.kind)/\($0.eventKind)" } == ["insert/subscribeApplied", "insert/subscribeApplied"])
        events.removeAll()
        try await sub.unsubscribe()
        #expect(sub.state == .ended && table.count == 0)
        #expect(events.all.map { "\($0.kind)/\($0.eventKind)" } == ["delete/unsubscribeApplied", "delete/unsubscribeApplied"])
        try await sub.unsubscribe()  // idempotent

        // Not subscribed: another client's insert is not seen.
        let other = try await ks.connect(.json)
        try await other.reducers.insertEverything(text: "unseen", shape: .point, maybe: nil)
        #expect(table.count == 0)
        events.removeAll()
        let again = try await conn.subscribe(["SELECT * FROM everything"])
        #expect(again.queryId != sub.queryId && table.count == 3 && events.count == 3)
        #expect(table.rows.contains { $0.text == "unseen" })
        try await other.reducers.insertEverything(text: "seen", shape: .point, maybe: nil)
        try await waitUntil("the other client's insert") { table.count == 4 }
        await other.close()
        await conn.close()
        #expect(again.state == .ended && !conn.isConnected && conn.isClosed)
    }

    @Test func overlappingQueriesAndSetsShowEachRowOnce() async throws {
        let ks = try await KitchenSink.start()
        defer { ks.server.stop() }
        let conn = try await ks.connect(.bsatn)
        try await conn.reducers.addPlayers(prefix: "p", count: 6)
        let players = conn.db.player
        let events = record(players)
        // Two queries of one set overlap on team 0; a second set covers everything again.
        let teams = try await conn.subscribe(["SELECT * FROM player WHERE team = 0", "SELECT * FROM player WHERE score < 40"])
        #expect(players.count == 4 && events.count == 4)  // p0, p1, p2, p3 (p0, p3 are in both queries)
        let all = try await conn.subscribe(["SELECT * FROM player"])
        #expect(players.count == 6 && events.count == 6)
        // A change seen through three queries of two sets is still one callback per row.
        events.removeAll()
        try await ks.server.sql(
            ks.database, "UPDATE player SET score = 31 WHERE name = 'p3'; DELETE FROM player WHERE name = 'p4'", token: ks.owner)
        try await waitUntil("the SQL changes") { events.count >= 2 }
        #expect(events.all.map(\.kind) == ["delete", "update"] && events.all.map { $0.row?.name } == ["p4", "p3"])
        #expect(players.find(name: "p3")?.score == 31 && players.count == 5)
        events.removeAll()
        try await teams.unsubscribe()
        #expect(players.count == 5 && events.count == 0)
        try await all.unsubscribe()
        #expect(players.count == 0 && events.count == 5 && events.all.allSatisfy { $0.kind == "delete" })
        await conn.close()
    }

    @Test func oneOffQueriesAndStreams() async throws {
        let ks = try await KitchenSink.start()
        defer { ks.server.stop() }
        let conn = try await ks.connect(.json)
        try await conn.reducers.setTeam(id: 1, name: "red")
        try await conn.reducers.setTeam(id: 2, name: "blue")
        let results = try await conn.oneOffQuery("SELECT * FROM team WHERE id = 2")
        #expect(results.count == 1 && results[0].rows.map { $0["name"] } == [.string("blue")])
        #expect(results[0].columns.map(\.name) == ["id", "name"])
        let failure = await #expect(throws: StarlingError.self) { try await conn.oneOffQuery("SELECT * FROM nowhere") }
        #expect(failure?.code == .queryFailed && failure?.reason?.contains("nowhere") == true)

        let changes = conn.db.team.changes()
        let events = conn.events()
        _ = try await conn.subscribe(["SELECT * FROM team"])
        try await conn.reducers.setTeam(id: 1, name: "green")
        var iterator = changes.makeAsyncIterator()
        var seen: [String] = []
        while seen.count < 3, let change = await iterator.next() {
            switch change {
            case .insert(let t, _): seen.append("insert \(t.name)")
            case .delete(let t, _): seen.append("delete \(t.name)")
            case .update(let o, let n, _): seen.append("update \(o.name)→\(n.name)")
            }
        }
        #expect(seen.sorted() == ["insert blue", "insert red", "update red→green"])
        await conn.close()
        var kinds: [String] = []
        for await e in events {
            if case .transaction(let t) = e { kinds.append(t.reducer) }
        }
        #expect(kinds == ["set_team"], "the event stream ends when the connection closes")
    }
}

/// The SwiftUI model, on the main actor (Observation ships with the toolchain on Linux too).
@Suite struct ObservableTableTests {
    @Test @MainActor func followsTheCacheAndNotifiesObservers() async throws {
        let ks = try await KitchenSink.start()
        defer { ks.server.stop() }
        let conn = try await ks.connect(.bsatn)
        try await conn.reducers.setTeam(id: 2, name: "blue")
        _ = try await conn.subscribe(["SELECT * FROM team"])
        let model = ObservableTable(conn.db.team, sortedBy: { $0.id < $1.id })
        #expect(model.rows == [Team(id: 2, name: "blue")])
        let changed = Recorder<Int>()
        withObservationTracking { _ = model.rows } onChange: { changed.append(1) }
        try await conn.reducers.setTeam(id: 1, name: "red")
        try await waitUntil("the insert") { model.rows.count == 2 }
        #expect(model.rows == [Team(id: 1, name: "red"), Team(id: 2, name: "blue")] && changed.count == 1)
        try await conn.reducers.setTeam(id: 2, name: "navy")
        try await waitUntil("the update") { model.rows.last?.name == "navy" }
        try await ks.server.sql(ks.database, "DELETE FROM team WHERE id = 1", token: ks.owner)
        try await waitUntil("the delete") { model.rows.count == 1 }
        #expect(model.rows == [Team(id: 2, name: "navy")] && model.version == 3)
        model.stop()
        try await conn.reducers.setTeam(id: 3, name: "gold")
        #expect(conn.db.team.count == 2 && model.rows.count == 1)
        await conn.close()
    }
}

extension Seen {
    var row: Row? {
        switch self {
        case .insert(let r, _), .delete(let r, _): r
        case .update(_, let r, _): r
        }
    }

    var eventKind: EventKind {
        switch self {
        case .insert(_, let k), .delete(_, let k), .update(_, _, let k): k
        }
    }
}
