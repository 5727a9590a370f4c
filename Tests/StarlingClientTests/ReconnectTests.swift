import Foundation
import StarlingClient
import Testing

/// Reconnection: a server restart with a data directory, resubscription, cache reconciliation.
@Suite struct ReconnectTests {
    @Test func reconnectsAfterAServerRestartAndReconcilesTheCache() async throws {
        var server = try await TestServer.start(inMemory: false)
        defer { server.stop() }
        let owner = try await server.publish("ks", try await TestModules.kitchenSink())
        // The first retry comes 3 s after the drop: time to restart the server and change rows.
        let policy = ReconnectPolicy(initialDelay: .seconds(3), maxDelay: .seconds(3), factor: 1, jitter: 0)
        let conn = try await StarlingConnection.connect(
            to: server.url, database: "ks", token: owner, options: ConnectionOptions(wireFormat: .bsatn, reconnect: policy))
        for (id, name) in [(1, "red"), (2, "blue"), (3, "gray")] { try await conn.reducers.setTeam(id: UInt8(id), name: name) }
        let teams = conn.db.team
        let events = record(teams)
        let applied = Recorder<Bool>()
        let lifecycle = Recorder<String>()
        conn.onEvent { e in
            switch e {
            case .connected(let info): lifecycle.append("connected reconnected=\(info.reconnected)")
            case .disconnected(let error, let willReconnect): lifecycle.append("disconnected \(error.code) \(willReconnect)")
            default: break
            }
        }
        _ = try await conn.subscribe(["SELECT * FROM team"], onApplied: { applied.append($0) })
        try await conn.reducers.addPlayers(prefix: "p", count: 2)
        let players = try await conn.subscribe(["SELECT * FROM player"])
        let playerEvents = record(conn.db.player)
        let (identity, firstConnection) = (conn.identity, conn.connectionId)
        events.removeAll()

        #expect(server.stop() == 0, "unclean shutdown: \(server.log)")
        try await waitUntil("the drop") { !conn.isConnected }
        let offline = await #expect(throws: StarlingError.self) { try await conn.reducers.setTeam(id: 9, name: "x") }
        #expect(offline?.code == .notConnected)
        // Offline, a set can still be dropped (it is not resubscribed) and one added (sent once back).
        let unsubscribing = Task { try await players.unsubscribe() }
        let subscribing = Task { try await conn.subscribe(["SELECT * FROM tick_log"]) }
        try await waitUntil("the offline unsubscribe") { players.state == .unsubscribing }
        server = try await TestServer.start(directory: server.directory, port: server.port, inMemory: false)
        // While the client waits: 1 unchanged, 2 renamed, 3 deleted, 4 new.
        try await server.sql(
            "ks", "UPDATE team SET name = 'navy' WHERE id = 2; DELETE FROM team WHERE id = 3; INSERT INTO team VALUES (4, 'gold')",
            token: owner)
        try await waitUntil("the resubscription", timeout: .seconds(20)) { applied.count == 2 }

        #expect(applied.all == [false, true])
        #expect(events.all == [.delete(Team(id: 3, name: "gray"), .reconnect), .update(Team(id: 2, name: "blue"), Team(id: 2, name: "navy"), .reconnect), .insert(Team(id: 4, name: "gold"), .reconnect)])
        #expect(teams.rows.sorted { $0.id < $1.id }.map(\.name) == ["red", "navy", "gold"])
        #expect(lifecycle.all.count == 2 && lifecycle.all.first?.hasPrefix("disconnected") == true && lifecycle.all.last == "connected reconnected=true")
        #expect(conn.identity == identity && conn.connectionId != firstConnection && conn.isConnected)
        try await unsubscribing.value
        #expect(try await subscribing.value.state == .applied && players.state == .ended)
        #expect(playerEvents.all.map { "\($0.kind) \($0.eventKind)" } == ["delete reconnect", "delete reconnect"])
        #expect(conn.db.player.count == 0)

        // Live again.
        events.removeAll()
        try await conn.reducers.setTeam(id: 5, name: "teal")
        #expect(events.all == [.insert(Team(id: 5, name: "teal"), .transaction)])
        await conn.close()
    }

    @Test func givesUpAfterMaxAttemptsAndFailsPendingWork() async throws {
        let server = try await TestServer.start()
        let owner = try await server.publish("ks", try await TestModules.kitchenSink())
        let policy = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(50), maxAttempts: 3)
        let conn = try await StarlingConnection.connect(
            to: server.url, database: "ks", token: owner, options: ConnectionOptions(wireFormat: .json, reconnect: policy))
        let events = conn.events()
        _ = try await conn.subscribe(["SELECT * FROM team"])
        server.stop()
        var seen: [String] = []
        for await e in events {
            switch e {
            case .disconnected(_, let willReconnect): seen.append("disconnected \(willReconnect)")
            case .error(let error): seen.append("error \(error.code)")
            default: break
            }
        }
        #expect(seen == ["disconnected true", "error connectionLost"])
        #expect(conn.isClosed)
        let closed = await #expect(throws: StarlingError.self) { try await conn.oneOffQuery("SELECT * FROM team") }
        #expect(closed?.code == .closed)
    }

    @Test func theFirstConnectFailsFastWithAClearError() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        try await server.publish("chat", try await TestModules.chat())
        let missing = await #expect(throws: StarlingError.self) { try await StarlingConnection.connect(to: server.url, database: "nope") }
        #expect(missing?.code == .httpError && missing?.httpStatus == 404)
        let forged = await #expect(throws: StarlingError.self) {
            try await StarlingConnection.connect(to: server.url, database: "chat", token: "not-a-token")
        }
        #expect(forged?.httpStatus == 401)
        let nobody = await #expect(throws: StarlingError.self) {
            try await StarlingConnection.connect(to: "http://127.0.0.1:1", database: "x")
        }
        #expect(nobody?.code == .connectFailed)
    }
}
