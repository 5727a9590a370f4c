import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import StarlingNetClient

struct HTTPClientTests {
    @Test func getReturnsStatusHeadersAndBody() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request("GET", url: server.http("/hello"))
            #expect(response.status == 200)
            #expect(response.reason == "OK")
            #expect(response.text == "hello")
            #expect(response.header("content-length") == "5")
            #expect(response.isSuccess)
        }
    }

    @Test func headRequestHasNoBody() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request("HEAD", url: server.http("/hello"))
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "5")
            #expect(response.body.isEmpty)
        }
    }

    @Test func postSendsBodyMethodAndQuery() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request(
                "POST",
                url: server.http("/echo?name=bank&x=1"),
                headers: [("X-Extra", "1")],
                body: Array("abc".utf8)
            )
            #expect(response.status == 200)
            #expect(response.text == "abc")
            #expect(response.header("x-method") == "POST")
            #expect(response.header("x-target") == "/echo?name=bank&x=1")
        }
    }

    @Test func postWithoutBodySendsContentLengthZero() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request("POST", url: server.http("/echo"))
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
        }
    }

    @Test func oneMegabyteBodyRoundTrips() async throws {
        try await withTestServer { server in
            let body = Self.pseudoRandomBytes(count: 1 << 20)
            let response = try await HTTPClient.request("PUT", url: server.http("/echo"), body: body)
            #expect(response.status == 200)
            #expect(response.body.count == body.count)
            #expect(response.body == body)
        }
    }

    @Test func chunkedResponseIsDecoded() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request(url: server.http("/chunked"))
            #expect(response.status == 200)
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.text == "alpha-beta-gamma")
        }
    }

    @Test func bodyDelimitedByConnectionClose() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request(url: server.http("/eof"))
            #expect(response.status == 200)
            #expect(response.text == "until the end")
        }
    }

    @Test func notFoundIsAResponseNotAnError() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request(url: server.http("/v1/database/missing/schema"))
            #expect(response.status == 404)
            #expect(response.text == "database `missing` not found")
            #expect(!response.isSuccess)
        }
    }

    @Test func connectionRefusedSaysWhereAndWhatToDo() async throws {
        let port = try await Self.closedPort()
        let error = await #expect(throws: NetError.self) {
            _ = try await HTTPClient.request(url: "http://127.0.0.1:\(port)/v1/ping")
        }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message == "connection refused to 127.0.0.1:\(port) — is `starling start` running?")
    }

    @Test func hostNamesAreResolved() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.request(url: "http://localhost:\(server.port)/hello")
            #expect(response.text == "hello")
            let parsed = NetURL(scheme: .http, host: "127.0.0.1", port: server.port, target: "echo?a=b")
            let echoed = try await HTTPClient.request("POST", url: parsed, body: [1, 2, 3])
            #expect(echoed.body == [1, 2, 3])
            #expect(echoed.header("x-target") == "/echo?a=b")
        }
    }

    @Test func connectionRefusedViaResolver() async throws {
        let port = try await Self.closedPort()
        let error = await #expect(throws: NetError.self) {
            _ = try await HTTPClient.request(url: "http://localhost:\(port)/v1/ping")
        }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message == "connection refused to localhost:\(port) — is `starling start` running?")
    }

    @Test func cancellingTheCallingTaskCancelsTheRequest() async throws {
        try await withTestServer { server in
            let task = Task { try await HTTPClient.request(url: server.http("/slow")) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let result = await task.result
            guard case .failure(let error) = result else {
                Issue.record("expected a failure, got \(result)")
                return
            }
            #expect((error as? NetError)?.code == .cancelled)
        }
    }

    @Test func timeoutFailsSlowRequests() async throws {
        try await withTestServer { server in
            let start = ContinuousClock.now
            let error = await #expect(throws: NetError.self) {
                _ = try await HTTPClient.request(url: server.http("/slow"), timeout: .milliseconds(200))
            }
            #expect(error?.code == .timedOut)
            #expect(error?.message.contains("timed out") == true)
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    @Test func bodyLargerThanTheLimitFails() async throws {
        try await withTestServer { server in
            let error = await #expect(throws: NetError.self) {
                _ = try await HTTPClient.request(
                    "POST",
                    url: server.http("/echo"),
                    body: Array(repeating: 7, count: 4096),
                    maxBodySize: 1024
                )
            }
            #expect(error?.code == .responseTooLarge)
        }
    }

    @Test func codePatternMatchesThrownErrors() async throws {
        let port = try await Self.closedPort()
        let error: any Error
        do {
            _ = try await HTTPClient.request(url: "http://127.0.0.1:\(port)/")
            Issue.record("expected an error")
            return
        } catch let caught {
            error = caught
        }
        switch error {
        case NetError.Code.timedOut: Issue.record("matched the wrong code")
        case NetError.Code.connectionRefused: break
        default: Issue.record("`~=` did not match \(error)")
        }
    }

    @Test func invalidURLFailsBeforeConnecting() async {
        let error = await #expect(throws: NetError.self) {
            _ = try await HTTPClient.request(url: "ftp://127.0.0.1:3000/")
        }
        #expect(error?.code == .invalidURL)
        #expect(error?.message.contains("unsupported URL scheme `ftp`") == true)
        let wsError = await #expect(throws: NetError.self) {
            _ = try await HTTPClient.stream(url: "ws://127.0.0.1:3000/")
        }
        #expect(wsError?.code == .invalidURL)
    }

    /// Deterministic xorshift bytes (no two neighbouring chunks alike).
    static func pseudoRandomBytes(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in bytes.indices {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            bytes[i] = UInt8(truncatingIfNeeded: x)
        }
        return bytes
    }

    /// A port on 127.0.0.1 where nothing listens (bound, then closed).
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }
}

struct HTTPStreamingTests {
    @Test func chunksArriveBeforeTheResponseEnds() async throws {
        try await withTestServer { server in
            // `/stream` never ends: receiving ticks at all proves chunks are delivered as they arrive.
            let response = try await HTTPClient.stream(url: server.http("/stream"))
            #expect(response.status == 200)
            var text = ""
            for try await chunk in response.body {
                text += String(decoding: chunk, as: UTF8.self)
                if text.contains("tick 2\n") { break }
            }
            #expect(text.hasPrefix("tick 0\ntick 1\ntick 2\n"))
            // Leaving the loop closes the connection.
            #expect(await eventually { server.observations.withLock { $0.streamsClosed } == 1 })
        }
    }

    @Test func cancelClosesTheConnectionAndEndsTheStream() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.stream(url: server.http("/stream"))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            response.cancel()
            var chunks = 0
            while try await iterator.next() != nil { chunks += 1 }  // ends normally, after what was buffered
            #expect(chunks < 1000)
            #expect(await eventually { server.observations.withLock { $0.streamsClosed } == 1 })
        }
    }

    @Test func cancellingTheConsumingTaskClosesTheConnection() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.stream(url: server.http("/stream"))
            let received = Counter()
            let consumer = Task {
                do {
                    for try await _ in response.body { received.increment() }
                } catch let error as NetError {
                    return error.code
                } catch {
                    return NetError.Code.io
                }
                return NetError.Code.io
            }
            #expect(await eventually { received.value >= 2 })
            consumer.cancel()
            let code = await consumer.value
            let count = received.value
            #expect(count > 0)
            #expect(code == .cancelled)
            #expect(await eventually { server.observations.withLock { $0.streamsClosed } == 1 })
        }
    }

    @Test func finiteStreamEndsNormally() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.stream(url: server.http("/chunked"))
            let body = try await response.collectBody()
            #expect(String(decoding: body, as: UTF8.self) == "alpha-beta-gamma")
        }
    }

    @Test func streamReportsErrorStatusWithBody() async throws {
        try await withTestServer { server in
            let response = try await HTTPClient.stream(url: server.http("/v1/database/nope/logs"))
            #expect(response.status == 404)
            #expect(String(decoding: try await response.collectBody(), as: UTF8.self) == "database `nope` not found")
        }
    }
}
