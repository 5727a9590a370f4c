import Foundation
import StarlingNetClient
import StarlingProtocol
import StarlingTypes
import Testing

/// Bad input gets a clear error and the server keeps serving.
@Suite(.serialized) struct BadInputTests {
    /// Browsers on other origins may use the API (token-authenticated): preflights are answered.
    @Test func corsPreflightAndHeaders() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        func header(_ r: HTTPResponse, _ name: String) -> String? { r.headers.first { $0.name.lowercased() == name }?.value }
        let preflight = try await server.request("OPTIONS", "/v1/database/anything/sql")
        #expect(preflight.status == 204)
        #expect(header(preflight, "access-control-allow-headers")?.contains("authorization") == true)
        #expect(header(preflight, "access-control-allow-methods")?.contains("POST") == true)
        let ping = try await server.request("GET", "/v1/ping")
        #expect(header(ping, "access-control-allow-origin") == "*")
    }

    @Test func httpErrorsAreClear() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let (_, token) = try await server.identity()
        let notWasm = try await server.request("POST", "/v1/database/ks", token: token, body: Array("hello, I am not wasm".utf8))
        #expect(notWasm.status == 400 && notWasm.text.contains("not a WebAssembly module"), "\(notWasm.text)")
        let badName = try await server.request("POST", "/v1/database/Bad%20Name", token: token, body: try await ServerModules.kitchenSink())
        #expect(badName.status == 400 && badName.text.contains("invalid database name"), "\(badName.text)")
        #expect(try await server.request("POST", "/v1/database/ks", token: token, body: try await ServerModules.kitchenSink()).status == 200)

        let cases: [(String, String, String, Int, String)] = [
            ("POST", "/v1/database/nope/call/x", "[]", 404, "no database named `nope`"),
            ("GET", "/v1/database/nope/schema", "", 404, "no database named `nope`"),
            ("POST", "/v1/database/ks/call/nope", "[]", 404, "no reducer `nope`"),
            ("POST", "/v1/database/ks/call/add_players", #"["p"]"#, 400, "takes 2 argument(s)"),
            ("POST", "/v1/database/ks/call/add_players", #"["p", "many"]"#, 400, "invalid arguments for `add_players`"),
            ("POST", "/v1/database/ks/call/add_players", #"["p", 1"#, 400, "JSON array of arguments"),
            ("POST", "/v1/database/ks/call/insert_then_fail", "[]", 530, "failing on purpose"),
            ("POST", "/v1/database/ks/call/spin", "[]", 530, "fuel"),
            ("POST", "/v1/database/ks/call/hog", "[]", 530, "trapped"),
            ("POST", "/v1/database/ks/sql", "SELEC * FROM player", 400, "syntax error at 1:1"),
            ("GET", "/v1/nothing", "", 404, "no route"),
            ("PUT", "/v1/database/ks", "", 405, "not allowed"),
            ("GET", "/v1/database/ks/subscribe", "", 400, "WebSocket"),
        ]
        for (method, path, body, status, text) in cases {
            let r = try await server.request(method, path, token: token, body: body.isEmpty ? nil : Array(body.utf8))
            #expect(r.status == status && r.text.contains(text), "\(method) \(path) \(body) → \(r.status) \(r.text)")
        }
        // Still serving, and the failed calls left nothing behind.
        #expect(try await server.request("GET", "/v1/ping").status == 200)
        let ghosts = try await server.request("POST", "/v1/database/ks/sql", token: token, body: Array("SELECT * FROM player".utf8))
        #expect(ghosts.status == 200 && !ghosts.text.contains("ghost"), "\(ghosts.text)")
        #expect(try await server.request("POST", "/v1/database/ks/call/add_players", token: token, body: Array(#"["ok", 2]"#.utf8)).status == 200)
    }

    @Test func malformedWebSocketMessagesCloseWithAReason() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory", "--max-message-size", "65536"])
        defer { server.stop() }
        let (_, token) = try await server.identity()
        #expect(try await server.request("POST", "/v1/database/ks", token: token, body: try await ServerModules.kitchenSink()).status == 200)
        let url = "ws://127.0.0.1:\(server.port)/v1/database/ks/subscribe"

        func closeReason(_ format: WireFormat, send: WebSocketMessage) async throws -> WebSocketCloseInfo? {
            let ws = try await WebSocketClient.connect(url: url, subprotocol: format.subprotocol)
            var it = ws.messages.makeAsyncIterator()
            _ = try await it.next()  // IdentityToken
            try await ws.send(send)
            while (try? await it.next()) != nil {}
            return await ws.closed()
        }
        let json = try await closeReason(.json, send: .text("{\"CallReducer\": "))
        #expect(json?.code == .invalidPayload && json?.reason.contains("malformed JSON message") == true, "\(String(describing: json))")
        let unknown = try await closeReason(.json, send: .text(#"{"Launch": {}}"#))
        #expect(unknown?.reason.contains("unknown message `Launch`") == true, "\(String(describing: unknown))")
        let bsatn = try await closeReason(.bsatn, send: .binary([9, 1, 2]))
        #expect(bsatn?.reason.contains("unknown client message tag 9") == true, "\(String(describing: bsatn))")
        let truncated = try await closeReason(.bsatn, send: .binary([2, 1, 0, 0]))
        #expect(truncated?.reason.contains("malformed BSATN message") == true, "\(String(describing: truncated))")
        let wrongKind = try await closeReason(.bsatn, send: .text("hi"))
        #expect(wrongKind?.code == .unsupportedData, "\(String(describing: wrongKind))")
        let big = try await closeReason(.json, send: .text(String(repeating: "x", count: 100_000)))
        #expect(big?.code == .messageTooBig && big?.reason.contains("limit") == true, "\(String(describing: big))")

        // Wrong arguments are not malformed messages: the caller gets a failed TransactionUpdate.
        let ws = try await WebSocketClient.connect(url: url, subprotocol: WireFormat.json.subprotocol)
        var it = ws.messages.makeAsyncIterator()
        _ = try await it.next()
        try await ws.send(text: #"{"CallReducer": {"request_id": 5, "reducer": "add_players", "args": ["p", "x"]}}"#)
        guard case .text(let reply)? = try await it.next() else { throw TestFailure("no reply") }
        let update = try JSONValue.parse(reply)["TransactionUpdate"]
        #expect(update?["reducer_call"]?["request_id"] == 5)
        #expect(update?["status"]?["failed"]?.stringValue?.contains("invalid arguments") == true, "\(reply)")
        try await ws.send(text: #"{"CallReducer": {"request_id": 6, "reducer": "nope", "args": []}}"#)
        guard case .text(let reply2)? = try await it.next() else { throw TestFailure("no reply") }
        #expect(reply2.contains("no such reducer `nope`"), "\(reply2)")
        try await ws.close(code: .normalClosure, reason: "")
        #expect(try await server.request("GET", "/v1/ping").status == 200)
    }
}
