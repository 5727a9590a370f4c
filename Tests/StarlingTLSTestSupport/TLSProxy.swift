import NIOCore
import NIOPosix
import NIOSSL

/// A TLS-terminating TCP proxy on 127.0.0.1 (a free port) for tests: it completes TLS handshakes with the given
/// certificate, opens a plain TCP connection to `backendHost:backendPort` for each client, and copies bytes both
/// ways (with backpressure) until either side closes. Put it in front of a plain-text server to test `https://`
/// and `wss://` clients against the real thing.
public final class TLSProxy: Sendable {
    /// The port the proxy listens on.
    public let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Starts a proxy presenting `certificateFile` (PEM, may hold a chain) with `keyFile` (PEM).
    public static func start(
        certificateFile: String,
        keyFile: String,
        backendHost: String = "127.0.0.1",
        backendPort: Int
    ) async throws -> TLSProxy {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        let context = try NIOSSLContext(
            configuration: TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        )
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                Self.initialize(channel, context: context, backendHost: backendHost, backendPort: backendPort)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSProxy(channel: channel)
    }

    /// TLS first, then a connection to the backend on the same event loop, then glue between the two.
    private static func initialize(
        _ channel: any Channel,
        context: NIOSSLContext,
        backendHost: String,
        backendPort: Int
    ) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            ClientBootstrap(group: channel.eventLoop)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: backendHost, port: backendPort)
        }.flatMapThrowing { backend in
            let (front, back) = GlueHandler.matchedPair()
            try channel.pipeline.syncOperations.addHandler(front)
            try backend.pipeline.syncOperations.addHandler(back)
        }
    }

    /// Stops listening; connections already proxied go on until their clients close them.
    public func shutdown() async {
        try? await self.channel.close()
    }
}

/// One end of a pair of handlers that copy everything read on one channel to the other (both on one event loop),
/// reading only while the partner can take more, and closing the partner when its channel closes.
private final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner?.context?.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.partner?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner?.context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.partner?.context?.close(promise: nil)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let partner = self.partner, partner.pendingRead {
            partner.pendingRead = false
            partner.context?.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.partner?.context?.channel.isWritable ?? false {
            context.read()
        } else {
            self.pendingRead = true
        }
    }
}
