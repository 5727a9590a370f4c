import Synchronization
import Testing

@testable import StarlingNetClient

/// Floods of 12.5–25 MiB against slow consumers; serialized so that they do not load the machine all at once.
@Suite(.serialized)
struct BackpressureTests {
    @Test func slowHTTPBodyConsumerStopsSocketReads() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.stream(url: server.http("/flood"), bufferedChunkLimit: 8)
            // 25 MiB cannot fit in the kernel's buffers plus 8 chunks: the server's last write waits for the consumer.
            let completedUnconsumed = await eventually(within: 0.5) {
                server.observations.withLock { $0.floodsCompleted } == 1
            }
            #expect(!completedUnconsumed)
            var total = 0
            for try await chunk in response.body { total += chunk.count }
            #expect(total == 400 * 65536)
            #expect(server.observations.withLock { $0.floodsCompleted } == 1)
        }
    }

    @Test func slowConsumerStopsSocketReads() async throws {
        try await withTestServer { server in
            // 400 × 64 KiB = 25 MiB: far more than the kernel's socket buffers plus 16 buffered messages.
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"), bufferedMessageLimit: 16)
            try await ws.send(text: "cmd:flood-big:400:65536")
            // Without backpressure the client would take all 25 MiB within ~0.1 s (measured); with it, the server's
            // last write cannot complete while nobody consumes.
            let completedUnconsumed = await eventually(within: 0.5) {
                server.observations.withLock { $0.floodsCompleted } == 1
            }
            #expect(!completedUnconsumed)
            var count = 0
            for try await message in ws.messages {
                guard case .binary(let bytes) = message, bytes.count == 65536 else { break }
                count += 1
                if count == 400 { break }
            }
            #expect(count == 400)
            #expect(await eventually { server.observations.withLock { $0.floodsCompleted } == 1 })
            await ws.close()
        }
    }

    @Test func closeCompletesWhileTheConsumerIsBehind() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"), bufferedMessageLimit: 4)
            try await ws.send(text: "cmd:flood-big:200:65536")
            try await Task.sleep(for: .milliseconds(100))  // reads are paused by now
            // The server's close frame sits behind 12.5 MiB the client had stopped reading; without reading past the
            // buffer limit after sending its close frame, the client would time out and report no close info.
            let info = await ws.close(code: .normalClosure, reason: "enough", timeout: .seconds(60))
            #expect(info == WebSocketCloseInfo(code: .normalClosure))
        }
    }

    @Test func smallBufferDeliversEverythingInOrder() async throws {
        try await withTestServer { server in
            let ws = try await WebSocketClient.connect(url: server.ws("/ws"), bufferedMessageLimit: 4)
            try await ws.send(text: "cmd:flood:5000")
            var expected = 0
            for try await message in ws.messages {
                #expect(message == .text("m\(expected)"))
                expected += 1
                if expected == 5000 { break }
            }
            #expect(expected == 5000)
            await ws.close()
        }
    }
}
