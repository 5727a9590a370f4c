import Foundation
import StarlingTLSTestSupport
import Synchronization
import Testing

@testable import StarlingNetClient

/// `https://` and `wss://` against the in-process test server behind a TLS-terminating proxy, with throwaway
/// certificates from a throwaway CA (`openssl`): trusted with the CA file, refused without it, refused for a
/// certificate that names another host, and refused when the port does not speak TLS.
struct TLSTests {
    /// The test server behind a TLS proxy presenting `leaf` (default: the `localhost` certificate).
    private func withTLSServer(
        leaf: (TestCertificates) -> TestCertificates.Leaf = { $0.localhost },
        _ body: (TestServer, TLSProxy, TestCertificates) async throws -> Void
    ) async throws {
        let certificates = try TestCertificates.shared()
        try await withTestServer { server in
            let chosen = leaf(certificates)
            let proxy = try await TLSProxy.start(
                certificateFile: chosen.certificateFile, keyFile: chosen.keyFile, backendPort: server.port)
            do {
                try await body(server, proxy, certificates)
                await proxy.shutdown()
            } catch {
                await proxy.shutdown()
                throw error
            }
        }
    }

    @Test func webSocketOverTLSWithTheCATrusted() async throws {
        try await withTLSServer { server, proxy, certificates in
            let tls = TLSOptions(caFile: certificates.caFile)
            // A host name (SNI, DNS name check) and an IP literal (no SNI, IP address check).
            for host in ["localhost", "127.0.0.1"] {
                let ws = try await WebSocketClient.connect(
                    url: "wss://\(host):\(proxy.port)/ws", subprotocol: "v1.bsatn.starling", tls: tls)
                #expect(ws.subprotocol == "v1.bsatn.starling")
                let big = HTTPClientTests.pseudoRandomBytes(count: 100_000)  // several TLS records
                try await ws.send(text: "héllo over \(host)")
                try await ws.send(binary: big)
                var iterator = ws.messages.makeAsyncIterator()
                #expect(try await iterator.next() == .text("héllo over \(host)"))
                #expect(try await iterator.next() == .binary(big))
                let info = await ws.close(code: .normalClosure, reason: "done")
                #expect(info?.code == .normalClosure)
            }
            #expect(server.observations.withLock { $0.closeFrames.map(\.0) } == [1000, 1000])
        }
    }

    @Test func droppedTLSConnectionFailsTheStream() async throws {
        try await withTLSServer { _, proxy, certificates in
            let ws = try await WebSocketClient.connect(
                url: "wss://localhost:\(proxy.port)/ws", tls: TLSOptions(caFile: certificates.caFile))
            try await ws.send(text: "cmd:drop")
            let error = await #expect(throws: NetError.self) {
                for try await _ in ws.messages {}
            }
            #expect(error?.code == .connectionClosed)
            #expect(ws.closeInfo?.code == .abnormalClosure)
        }
    }

    @Test func httpsRequestsWithTheCATrusted() async throws {
        try await withTLSServer { _, proxy, certificates in
            let tls = TLSOptions(caFile: certificates.caFile)
            let hello = try await HTTPClient.request(url: "https://localhost:\(proxy.port)/hello", tls: tls)
            #expect(hello.status == 200 && hello.text == "hello")
            let body = HTTPClientTests.pseudoRandomBytes(count: 300_000)
            let echoed = try await HTTPClient.request(
                "POST", url: "https://127.0.0.1:\(proxy.port)/echo?x=1", body: body, tls: tls)
            #expect(echoed.body == body)
            #expect(echoed.headers.first { $0.0 == "x-target" }?.1 == "/echo?x=1")
            let chunked = try await HTTPClient.stream(url: "https://localhost:\(proxy.port)/chunked", tls: tls)
            #expect(String(decoding: try await chunked.collectBody(), as: UTF8.self) == "alpha-beta-gamma")
        }
    }

    @Test func untrustedCertificateIsRefused() async throws {
        try await withTLSServer { _, proxy, _ in
            // Without the CA file only the system roots are trusted, and they do not know the test CA.
            let wsError = await #expect(throws: NetError.self) {
                _ = try await WebSocketClient.connect(url: "wss://localhost:\(proxy.port)/ws")
            }
            #expect(wsError?.code == .tlsCertificateUntrusted)
            #expect(wsError?.message.hasPrefix("the TLS certificate of localhost:\(proxy.port) is not trusted") == true)
            #expect(wsError?.message.contains("certificate verify failed") == true)
            let httpError = await #expect(throws: NetError.self) {
                _ = try await HTTPClient.request(url: "https://localhost:\(proxy.port)/hello")
            }
            #expect(httpError?.code == .tlsCertificateUntrusted)
            #expect(httpError?.message.contains("localhost:\(proxy.port)") == true)
        }
    }

    @Test func certificateForAnotherHostIsRefused() async throws {
        try await withTLSServer(leaf: { $0.otherHost }) { _, proxy, certificates in
            let tls = TLSOptions(caFile: certificates.caFile)
            let wsError = await #expect(throws: NetError.self) {
                _ = try await WebSocketClient.connect(url: "wss://localhost:\(proxy.port)/ws", tls: tls)
            }
            #expect(wsError?.code == .tlsHostnameMismatch)
            #expect(
                wsError?.message
                    == "TLS hostname mismatch: the certificate presented by localhost:\(proxy.port) is not valid for "
                    + "`localhost` (it names other hosts)"
            )
            let httpError = await #expect(throws: NetError.self) {
                _ = try await HTTPClient.request(url: "https://127.0.0.1:\(proxy.port)/hello", tls: tls)
            }
            #expect(httpError?.code == .tlsHostnameMismatch)
            #expect(httpError?.message.contains("not valid for `127.0.0.1`") == true)
        }
    }

    @Test func plainTextServerIsReportedAsNotSpeakingTLS() async throws {
        try await withTestServer { server in
            let error = await #expect(throws: NetError.self) {
                _ = try await WebSocketClient.connect(url: "wss://127.0.0.1:\(server.port)/ws")
            }
            #expect(error?.code == .tlsHandshakeFailed)
            #expect(error?.message.contains("TLS handshake with 127.0.0.1:\(server.port) failed") == true)
            #expect(error?.message.contains("does it serve plain http:// or ws://") == true)
        }
    }

    @Test func unusableCAFileFailsBeforeConnecting() async throws {
        let missing = "/nonexistent/starling-ca.pem"
        let error = await #expect(throws: NetError.self) {
            _ = try await HTTPClient.request(url: "https://127.0.0.1:1/", tls: TLSOptions(caFile: missing))
        }
        #expect(error?.code == .tlsConfiguration)
        #expect(error?.message == "the CA file \(missing) does not exist")

        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID().uuidString).pem")
        try Data("just text\n".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        let wsError = await #expect(throws: NetError.self) {
            _ = try await WebSocketClient.connect(url: "wss://127.0.0.1:1/", tls: TLSOptions(caFile: notPEM.path))
        }
        #expect(wsError?.code == .tlsConfiguration)
        #expect(wsError?.message.contains("holds no PEM certificate") == true)
        // Plain URLs ignore the TLS options.
        let port = try await HTTPClientTests.closedPort()
        let plain = await #expect(throws: NetError.self) {
            _ = try await HTTPClient.request(url: "http://127.0.0.1:\(port)/", tls: TLSOptions(caFile: missing))
        }
        #expect(plain?.code == .connectionRefused)
    }
}
