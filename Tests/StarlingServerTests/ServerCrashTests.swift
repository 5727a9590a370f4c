import Foundation
import StarlingNetClient
import StarlingProtocol
import StarlingTypes
import Testing

/// Durability through the server: kill -9 the real process while clients commit over the
/// WebSocket with `--fsync every-commit`, restart, and find every acknowledged transaction and
/// no partial one.
@Suite(.serialized) struct ServerCrashTests {
    @Test(arguments: 1...3) func killNineLosesNoAcknowledgedTransaction(round: Int) async throws {
        var server = try await ServerProcess.start(arguments: ["--fsync", "every-commit"])
        let (_, owner) = try await server.identity()
        #expect(try await server.request("POST", "/v1/database/ks", token: owner, body: try await ServerModules.kitchenSink()).status == 200)
        let ws = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(server.port)/v1/database/ks/subscribe", subprotocol: WireFormat.bsatn.subprotocol,
            headers: [("Authorization", "Bearer \(owner)")])
        var it = ws.messages.makeAsyncIterator()
        _ = try await it.next()

        // Each call inserts two rows (`r<k>-0`, `r<k>-1`) in one transaction; 8 calls in flight.
        func call(_ k: UInt32) -> WebSocketMessage {
            var w = BSATNWriter()
            w.write("r\(k)-")
            w.write(2 as UInt32)
            return .binary(ClientMessage.callReducer(requestId: k, reducer: "add_players", args: .bsatn(w.bytes)).bsatn)
        }
        var acked: Set<UInt32> = []
        var sent: UInt32 = 0
        try await ws.send(frames: (0..<8).map { k in call(UInt32(k)) })
        sent = 8
        // Kill after a number of acknowledgements that differs per round (not after a fixed time:
        // a loaded CI machine may acknowledge only a few calls in the first second), with 8 more in flight.
        let killAfter = 15 + 25 * round
        let deadline = ContinuousClock.now + .seconds(120)
        while acked.count < killAfter && ContinuousClock.now < deadline {
            guard case .binary(let bytes)? = try await it.next(),
                case .transactionUpdate(let u) = try bytes.withUnsafeBytes({ b throws(ProtocolError) in try ServerMessage.decode(bsatn: b) })
            else { continue }
            #expect(u.status == .committed)
            acked.insert(u.reducerCall.requestId)
            try await ws.send(call(sent))
            sent += 1
        }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        #expect(acked.count >= killAfter, "too few calls acknowledged to test anything: \(acked.count)")

        server = try await ServerProcess.start(directory: server.directory, port: server.port)
        defer { server.stop() }
        let r = try await server.request("POST", "/v1/database/ks/sql", token: owner, body: Array("SELECT name FROM player".utf8))
        let names = Set((try JSONValue.parse(utf8: r.body))[0]?["rows"]?.arrayValue?.compactMap { $0[0]?.stringValue } ?? [])
        for k in acked { #expect(names.contains("r\(k)-0") && names.contains("r\(k)-1"), "acknowledged call \(k) was lost") }
        for k in 0..<sent { #expect(names.contains("r\(k)-0") == names.contains("r\(k)-1"), "call \(k) is half there") }
        #expect(names.count % 2 == 0 && names.count / 2 >= acked.count)
    }
}
