import Synchronization
import Testing

@testable import StarlingNetClient

struct WebSocketClientTests {
    @Test func textAndBinaryEcho() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            #expect(ws.subprotocol == nil)
            try await ws.send(text: "héllo ✓")
            try await ws.send(binary: [0, 1, 2, 255])
            try await ws.send(.text(""))
            var iterator = ws.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("héllo ✓"))
            #expect(try await iterator.next() == .binary([0, 1, 2, 255]))
            #expect(try await iterator.next() == .text(""))
            await ws.close()
            #expect(server.observations.withLock { $0.unmaskedFrames } == 0)
        }
    }

    @Test func largeMessagesEcho() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await ws.send(binary: big)
            var iterator = ws.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .binary(big))
            await ws.close()
        }
    }

    @Test func tenThousandPipelinedFramesEchoInOrder() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"), bufferedMessageLimit: 256)
            let count = 10_000
            let reader = Task {
                var received: [UInt32] = []
                received.reserveCapacity(count)
                for try await message in ws.messages {
                    guard case .binary(let bytes) = message, bytes.count == 4 else { break }
                    received.append(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
                    if received.count == count { break }
                }
                return received
            }
            let frames = (0..<UInt32(count)).map { i in WebSocketMessage.binary(withUnsafeBytes(of: i) { Array($0) }) }
            try await ws.send(frames: Array(frames[..<5000]))
            try await ws.send(frames: Array(frames[5000...]))
            let received = try await reader.value
            #expect(received == Array(0..<UInt32(count)))
            await ws.close()
            #expect(server.observations.withLock { $0.unmaskedFrames } == 0)
        }
    }

    @Test func fragmentedMessagesAreReassembledAndMidMessagePingsAnswered() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            try await ws.send(text: "cmd:fragments")
            var iterator = ws.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("Hello, world"))
            #expect(try await iterator.next() == .binary([1, 2, 3]))
            #expect(await eventually { server.observations.withLock { $0.pongs } == ["mid"] })
            await ws.close()
        }
    }

    @Test func pingsAreAnsweredWithPongs() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            try await ws.send(text: "cmd:ping")
            var iterator = ws.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("pong:abc"))
            await ws.close()
        }
    }

    @Test func serverCloseCodeAndReasonAreVisible() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            try await ws.send(text: "before")
            try await ws.send(text: "cmd:close:4001:bye now")
            var received: [WebSocketMessage] = []
            for try await message in ws.messages { received.append(message) }  // ends normally
            #expect(received == [.text("before")])
            #expect(ws.closeInfo == WebSocketCloseInfo(code: WebSocketCloseCode(rawValue: 4001), reason: "bye now"))
            // The client echoed the code in its own close frame.
            #expect(await eventually { server.observations.withLock { $0.closeFrames.map(\.0) } == [4001] })
            let error = await #expect(throws: NetError.self) { try await ws.send(text: "late") }
            #expect(error?.code == .alreadyClosed || error?.code == .connectionClosed)
        }
    }

    @Test func clientCloseRunsTheClosingHandshake() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            let info = await ws.close(code: .goingAway, reason: "done", timeout: .seconds(30))
            #expect(info == WebSocketCloseInfo(code: .goingAway))
            #expect(!ws.isOpen)
            let frames = server.observations.withLock { $0.closeFrames }
            #expect(frames.count == 1 && frames.first?.0 == 1001 && frames.first?.1 == "done")
            var count = 0
            for try await _ in ws.messages { count += 1 }
            #expect(count == 0)
        }
    }

    @Test func droppedConnectionFailsTheStream() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            try await ws.send(text: "cmd:drop")
            let error = await #expect(throws: NetError.self) {
                for try await _ in ws.messages {}
            }
            #expect(error?.code == .connectionClosed)
            #expect(ws.closeInfo?.code == .abnormalClosure)
        }
    }

    @Test func invalidUTF8FailsWith1007() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"))
            try await ws.send(text: "cmd:badutf8")
            let error = await #expect(throws: NetError.self) {
                for try await _ in ws.messages {}
            }
            #expect(error?.code == .protocolViolation)
            #expect(await eventually { server.observations.withLock { $0.closeFrames.map(\.0) } == [1007] })
        }
    }

    @Test(arguments: ["v1.json.starling", "v1.bsatn.starling"])
    func subprotocolIsNegotiated(_ subprotocol: String) async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"), subprotocol: subprotocol)
            #expect(ws.subprotocol == subprotocol)
            try await ws.send(binary: [42])
            var iterator = ws.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .binary([42]))
            await ws.close()
        }
    }

    @Test func unsupportedSubprotocolIsRefused() async throws {
        try await withTestServer { server in
            let error = await #expect(throws: NetError.self) {
                _ = try await WebSocketClient.connect(url: server.ws("/ws"), subprotocol: "v9.unknown")
            }
            #expect(error?.code == .subprotocolMismatch)
            #expect(error?.message.contains("selected the WebSocket subprotocol none") == true)
            #expect(error?.message.contains("`v9.unknown`") == true)
        }
    }

    @Test func differentSubprotocolIsRefused() async throws {
        try await withTestServer { server in
            let error = await #expect(throws: NetError.self) {
                _ = try await WebSocketClient.connect(
                    url: server.ws("/ws/wrong-protocol"),
                    subprotocol: "v1.json.starling"
                )
            }
            #expect(error?.code == .subprotocolMismatch)
            #expect(error?.message.contains("`v1.bsatn.starling`") == true)
        }
    }

    @Test func upgradeRefusedWith404ReportsStatusAndBody() async throws {
        try await withTestServer { server in
            let error = await #expect(throws: NetError.self) {
                _ = try await WebSocketClient.connect(
                    url: server.ws("/v1/database/missing/subscribe"),
                    subprotocol: "v1.json.starling"
                )
            }
            #expect(error?.code == .upgradeRefused)
            #expect(error?.httpStatus == 404)
            let url = server.ws("/v1/database/missing/subscribe")
            #expect(
                error?.message
                    == "WebSocket upgrade to \(url) refused: HTTP 404 Not Found: database `missing` not found"
            )
        }
    }

    @Test func connectionRefused() async throws {
        let port = try await HTTPClientTests.closedPort()
        let error = await #expect(throws: NetError.self) {
            _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/database/bank/subscribe")
        }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message == "connection refused to 127.0.0.1:\(port) — is `starling start` running?")
    }

    @Test func handshakeTimesOut() async throws {
        try await withTestServer { server in
            let error = await #expect(throws: NetError.self) {
                _ = try await WebSocketClient.connect(url: server.ws("/slow"), timeout: .milliseconds(200))
            }
            #expect(error?.code == .timedOut)
            #expect(error?.message.contains("WebSocket handshake") == true)
        }
    }

    @Test func headersReachTheServerAndHostNamesWork() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(
                url: "ws://localhost:\(server.port)/ws?token=abc",
                subprotocol: "v1.json.starling",
                headers: [("Authorization", "Bearer xyz"), ("Connection", "ignored")]
            )
            #expect(ws.url.target == "/ws?token=abc")
            try await ws.send(text: "hi")
            var iterator = ws.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("hi"))
            let seen = server.observations.withLock { $0.upgradeHeaders }
            #expect(seen.count == 1 && seen.first?.authorization == "Bearer xyz")
            #expect(seen.first?.connection?.lowercased() == "upgrade")
            await ws.close()
        }
    }

    @Test func httpURLIsRejected() async {
        let error = await #expect(throws: NetError.self) {
            _ = try await WebSocketClient.connect(url: "http://127.0.0.1:1/")
        }
        #expect(error?.code == .invalidURL)
    }
}
