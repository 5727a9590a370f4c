import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A tiny HTTP/1.1 + WebSocket server on 127.0.0.1 (a free port), built from NIO's server pipeline and
/// `NIOWebSocketServerUpgrader`, for the client tests. Routes are in ``TestHTTPHandler``; WebSocket behaviour
/// (echo plus `cmd:` commands) in ``TestWebSocketHandler``.
final class TestServer: Sendable {
    /// What the server observed, for assertions.
    struct Observations: Sendable {
        /// Close frames received from clients: (code, reason).
        var closeFrames: [(UInt16, String)] = []
        /// Data frames received without a mask (must stay 0).
        var unmaskedFrames = 0
        /// Frames received, all kinds.
        var framesReceived = 0
        /// Pong payloads received.
        var pongs: [String] = []
        /// Streaming responses (`/stream`) whose connection has closed.
        var streamsClosed = 0
        /// Floods (`cmd:flood-big`) whose last frame was written to the socket.
        var floodsCompleted = 0
        /// The `Authorization` and `Connection` headers of each WebSocket upgrade request.
        var upgradeHeaders: [(authorization: String?, connection: String?)] = []
    }

    let channel: any Channel
    let observations = Mutex(Observations())

    var port: Int { self.channel.localAddress!.port! }

    private init(channel: any Channel) { self.channel = channel }

    /// Starts a server on 127.0.0.1 and a free port.
    static func start() async throws -> TestServer {
        let box = Mutex<TestServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let server = box.withLock({ $0 }) else { throw ChannelError.inappropriateOperationForState }
                    try server.configure(channel)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestServer(channel: channel)
        box.withLock { $0 = server }
        return server
    }

    func shutdown() async {
        try? await self.channel.close()
    }

    /// "http://127.0.0.1:PORT" + path.
    func http(_ path: String) -> String { "http://127.0.0.1:\(self.port)\(path)" }
    /// "ws://127.0.0.1:PORT" + path.
    func ws(_ path: String) -> String { "ws://127.0.0.1:\(self.port)\(path)" }

    static let subprotocols: Set<String> = ["v1.json.starling", "v1.bsatn.starling"]

    private func configure(_ channel: any Channel) throws {
        let http = TestHTTPHandler(server: self)
        let boundHTTP = NIOLoopBound(http, eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 24,
            shouldUpgrade: { [self] channel, head in
                self.observations.withLock {
                    $0.upgradeHeaders.append(
                        (head.headers["Authorization"].first, head.headers["Connection"].joined(separator: ","))
                    )
                }
                return channel.eventLoop.makeSucceededFuture(Self.upgradeHeaders(for: head))
            },
            upgradePipelineHandler: { [self] channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TestWebSocketHandler(server: self))
                }
            }
        )
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(boundHTTP.value, promise: nil)
                }
            )
        )
        try channel.pipeline.syncOperations.addHandler(http)
    }

    /// Upgrades only paths under `/ws`. Selects the requested subprotocol if it is a Starling one;
    /// `/ws/wrong-protocol` always selects `v1.bsatn.starling`.
    private static func upgradeHeaders(for head: HTTPRequestHead) -> HTTPHeaders? {
        guard head.uri.hasPrefix("/ws") else { return nil }
        var headers = HTTPHeaders()
        if head.uri.hasPrefix("/ws/wrong-protocol") {
            headers.add(name: "Sec-WebSocket-Protocol", value: "v1.bsatn.starling")
        } else if let requested = head.headers["Sec-WebSocket-Protocol"].first, subprotocols.contains(requested) {
            headers.add(name: "Sec-WebSocket-Protocol", value: requested)
        }
        return headers
    }
}

/// Runs `body` against a fresh server, shutting it down afterwards.
func withTestServer<T>(_ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start()
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Polls `condition` every 10 ms for up to `seconds` (generous, for loaded CI machines); returns whether it became true.
func eventually(within seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A counter shared between tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { self.count.withLock { $0 } }
    func increment() { self.count.withLock { $0 += 1 } }
}
