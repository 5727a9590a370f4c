import Testing

@testable import StarlingNetClient

/// The client against a hand-written server that sends the `101` response and the first frames in one write, or
/// trickles them a few bytes at a time, so the HTTP and WebSocket decoders see every kind of split.
struct RawWebSocketTests {
    /// Unmasked server frames: text "first"; binary [0xAA, 0xBB] in two fragments with a ping between them;
    /// a close frame 1000 "bye".
    static let frames: [UInt8] =
        [0x81, 0x05] + Array("first".utf8)
        + [0x02, 0x01, 0xAA]
        + [0x89, 0x00]
        + [0x80, 0x01, 0xBB]
        + [0x88, 0x05, 0x03, 0xE8] + Array("bye".utf8)

    @Test func handshakeHelpersMatchRFC6455() {
        // The example in RFC 6455 §1.3.
        #expect(webSocketAccept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(base64(Array("ab".utf8)) == "YWI=")
    }

    @Test(arguments: [
        RawWebSocketServer.Delivery.coalesced, .trickled(chunk: 1), .trickled(chunk: 3), .trickled(chunk: 7),
    ])
    func framesRightAfterTheHandshake(_ delivery: RawWebSocketServer.Delivery) async throws {
        let server = try await RawWebSocketServer.start(frames: Self.frames, delivery: delivery)
        defer { Task { await server.shutdown() } }
        let ws = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/raw")
        var received: [WebSocketMessage] = []
        for try await message in ws.messages { received.append(message) }
        #expect(received == [.text("first"), .binary([0xAA, 0xBB])])
        #expect(ws.closeInfo == WebSocketCloseInfo(code: .normalClosure, reason: "bye"))
    }

    @Test func theMessageStreamKeepsItsConnectionAlive() async throws {
        let server = try await RawWebSocketServer.start(frames: Self.frames, delivery: .trickled(chunk: 5))
        defer { Task { await server.shutdown() } }
        var received: [WebSocketMessage] = []
        for try await message in try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/").messages {
            received.append(message)
        }
        #expect(received == [.text("first"), .binary([0xAA, 0xBB])])
    }
}
