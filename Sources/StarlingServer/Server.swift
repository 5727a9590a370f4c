import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import ServiceLifecycle
import StarlingDurability
import StarlingProtocol
import Synchronization

/// `starling start`: serves every database of a data directory on one port — the HTTP API and
/// the WebSocket data path share it (NIO's HTTP upgrade pipeline). Run it in a
/// `ServiceGroup`; a graceful shutdown (SIGINT/SIGTERM) stops accepting, closes client sockets
/// and flushes every database's log.
public final class StarlingServer: Service, Sendable {
    public let options: ServerOptions
    private let logger: Logger
    private let context: ServerContext
    private let group: MultiThreadedEventLoopGroup
    private let bound = Mutex<(any Channel)?>(nil)
    private let boundWaiters = Mutex<[CheckedContinuation<SocketAddress, any Error>]>([])

    /// Opens the data directory (keys, every database in it); does not listen yet.
    public init(options: ServerOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        let auth: TokenAuthority
        if let dir = options.dataDirectory {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            auth = try TokenAuthority(keyDirectory: dir + "/keys")
        } else {
            auth = TokenAuthority()
        }
        let registry = DatabaseRegistry(options: options, logger: logger)
        try registry.openAll()
        context = ServerContext(registry: registry, auth: auth, options: options)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.eventLoopThreads))
    }

    /// The address the server listens on, once it does.
    public func localAddress() async throws -> SocketAddress {
        if let a = bound.withLock({ $0?.localAddress }) { return a }
        return try await withCheckedThrowingContinuation { c in
            boundWaiters.withLock { $0.append(c) }
            if let a = bound.withLock({ $0?.localAddress }) {
                for w in boundWaiters.withLock({ w in defer { w.removeAll() }; return w }) { w.resume(returning: a) }
            }
        }
    }

    /// The port the server listens on, once it does.
    public func boundPort() async throws -> Int { try await localAddress().port ?? options.port }

    /// Listens and serves until a graceful shutdown, then shuts down cleanly.
    public func run() async throws {
        let channel = try await bootstrap().bind(host: options.host, port: options.port).get()
        bound.withLock { $0 = channel }
        let address = channel.localAddress!
        for w in boundWaiters.withLock({ w in defer { w.removeAll() }; return w }) { w.resume(returning: address) }
        logger.info(
            "listening", metadata: ["address": "http://\(options.host):\(address.port ?? 0)", "data_dir": "\(options.dataDirectory ?? "(in memory)")",
                "fsync": "\(options.fsync.rawValue)", "databases": "\(context.registry.all.count)"])
        try? await gracefulShutdown()
        logger.info("shutting down")
        try? await channel.close()
        context.registry.stopAll()
        try await group.shutdownGracefully()
        logger.info("stopped")
    }

    private func bootstrap() -> ServerBootstrap {
        let ctx = context
        let maxMessage = options.maxMessageBytes
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                let http = HTTPHandler(ctx)
                let accepted = AcceptedSession()
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: maxMessage, automaticErrorHandling: false,
                    shouldUpgrade: { channel, head in
                        let session = Self.acceptUpgrade(head, ctx)
                        accepted.value.withLock { $0 = session }
                        guard let session else { return channel.eventLoop.makeSucceededFuture(nil) }
                        return channel.eventLoop.makeSucceededFuture(HTTPHeaders([("Sec-WebSocket-Protocol", session.format.subprotocol)]))
                    },
                    upgradePipelineHandler: { channel, _ in
                        guard let session = accepted.value.withLock({ $0 }) else { return channel.close() }
                        return channel.eventLoop.makeCompletedFuture {
                            let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
                            try channel.pipeline.syncOperations.addHandler(RawFrameWriter(), position: .before(encoder))
                            try channel.pipeline.syncOperations.addHandler(
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 4096, maxAccumulatedFrameSize: maxMessage))
                            try channel.pipeline.syncOperations.addHandler(WebSocketSessionHandler(session, maxMessageBytes: maxMessage))
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    // Response headers are built by the server itself (no client text reaches
                    // them), so NIO's outbound header validation (~10% of a point query) is off.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in channel.pipeline.removeHandler(http, promise: nil) }),
                        withOutboundHeaderValidation: false,
                        withEncoderConfiguration: HTTPResponseEncoder.Configuration())
                    try channel.pipeline.syncOperations.addHandler(http)
                }
            }
    }

    /// The session of a WebSocket upgrade request, or nil to let the HTTP handler answer it
    /// (with the reason: unknown database, bad token, no supported subprotocol).
    static func acceptUpgrade(_ head: HTTPRequestHead, _ ctx: ServerContext) -> SessionIdentity? {
        let request = HTTPRequest(head: head, body: [])
        guard let m = Routes.match("v1/database/:name/subscribe", request.path), let host = ctx.registry.host(m[0]) else { return nil }
        let offered = head.headers[canonicalForm: "sec-websocket-protocol"].map { String($0) }
        guard let format = offered.lazy.compactMap({ WireFormat(subprotocol: $0) }).first else { return nil }
        guard let (identity, minted) = try? ctx.caller(request) else { return nil }
        return SessionIdentity(
            database: host, identity: identity, token: minted ?? request.bearerToken ?? "", format: format,
            confirmed: request.query["confirmed"] == "true")
    }
}

/// The session an accepted upgrade request carries from `shouldUpgrade` to the pipeline setup.
private final class AcceptedSession: Sendable {
    let value = Mutex<SessionIdentity?>(nil)
}
