import Foundation
import StarlingNetClient
import StarlingProtocol
import StarlingTypes
import Testing

/// Only the owner may update, delete, read logs, run DML or see private tables; bad tokens get 401.
@Suite(.serialized) struct AuthTests {
    @Test func ownerOnlyOperationsAndPrivateTables() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let wasm = try await ServerModules.kitchenSink()
        let (ownerId, owner) = try await server.identity()
        let (_, other) = try await server.identity()

        let created = try await server.request("POST", "/v1/database/ks", token: owner, body: wasm)
        #expect(created.status == 200, "\(created.text)")
        #expect(try JSONValue.parse(utf8: created.body)["owner_identity"]?.stringValue == ownerId)
        #expect(try await server.request("POST", "/v1/database/ks/call/add_players", token: owner, body: Array(#"["p", 3]"#.utf8)).status == 200)

        let update = try await server.request("POST", "/v1/database/ks", token: other, body: wasm)
        #expect(update.status == 403 && update.text.contains("only the owner of `ks` may update it"), "\(update.text)")
        let delete = try await server.request("DELETE", "/v1/database/ks", token: other)
        #expect(delete.status == 403, "\(delete.text)")
        let logs = try await server.request("GET", "/v1/database/ks/logs", token: other)
        #expect(logs.status == 403, "\(logs.text)")
        let dml = try await server.request("POST", "/v1/database/ks/sql", token: other, body: Array("DELETE FROM everything".utf8))
        #expect(dml.status == 403 && dml.text.contains("only the database owner"), "\(dml.text)")
        let hidden = try await server.request("POST", "/v1/database/ks/sql", token: other, body: Array("SELECT * FROM player".utf8))
        #expect(hidden.status == 400 && hidden.text.contains("table `player` not found"), "\(hidden.text)")
        let anonymous = try await server.request("POST", "/v1/database/ks/sql", body: Array("SELECT * FROM player".utf8))
        #expect(anonymous.status == 400, "\(anonymous.text)")
        let visible = try await server.request("POST", "/v1/database/ks/sql", token: owner, body: Array("SELECT name FROM player".utf8))
        #expect(visible.status == 200 && visible.text.contains("p0"), "\(visible.text)")

        // Over WebSocket too: a non-owner cannot subscribe to a private table.
        let ws = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(server.port)/v1/database/ks/subscribe", subprotocol: WireFormat.json.subprotocol,
            headers: [("Authorization", "Bearer \(other)")])
        var messages = ws.messages.makeAsyncIterator()
        _ = try await messages.next()  // IdentityToken
        try await ws.send(text: ClientMessage.subscribe(requestId: 1, queryId: 1, queries: ["SELECT * FROM player"]).json.text)
        guard case .text(let answer)? = try await messages.next() else { throw TestFailure("no answer") }
        #expect(answer.contains("SubscriptionError") && answer.contains("table `player` not found"), "\(answer)")
        try await ws.close(code: .normalClosure, reason: "")

        // The owner may do all of it.
        #expect(try await server.request("GET", "/v1/database/ks/logs", token: owner).status == 200)
        #expect(try await server.request("POST", "/v1/database/ks/sql", token: owner, body: Array("DELETE FROM player".utf8)).status == 200)
        #expect(try await server.request("DELETE", "/v1/database/ks", token: owner).status == 200)
    }

    @Test func forgedMalformedAndForeignTokensAreRejected() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let elsewhere = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { elsewhere.stop() }
        let (_, token) = try await server.identity()
        var parts = token.split(separator: ".").map(String.init)
        // Claim someone else's identity with the original signature.
        let claims = #"{"iss":"starling","sub":"someone-else","hex_identity":"00","iat":1}"#
        parts[1] = Data(claims.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        let forged = parts.joined(separator: ".")
        let r1 = try await server.request("GET", "/v1/identity", token: forged)
        #expect(r1.status == 401 && r1.text.contains("invalid token signature"), "\(r1.text)")
        let r2 = try await server.request("GET", "/v1/identity", token: "not-a-jwt")
        #expect(r2.status == 401 && r2.text.contains("malformed token"), "\(r2.text)")
        let (_, foreign) = try await elsewhere.identity()
        let r3 = try await server.request("GET", "/v1/identity", token: foreign)
        #expect(r3.status == 401, "\(r3.text)")
        // A refused WebSocket upgrade says why.
        do {
            _ = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(server.port)/v1/database/x/subscribe", subprotocol: WireFormat.json.subprotocol,
                headers: [("Authorization", "Bearer \(forged)")])
            Issue.record("the upgrade with a forged token was accepted")
        } catch {
            #expect(error.httpStatus == 401 && error.message.contains("invalid token signature"), "\(error)")
        }
        #expect(try await server.request("GET", "/v1/identity", token: token).status == 200)
    }
}
