import NIOCore
import NIOPosix
import NIOSSL

/// Shared plumbing of ``HTTPClient`` and ``WebSocketClient``: the default event loop group and connecting.
public enum NetClient {
    /// The event loop group used when a call is not given one: NIO's process-wide
    /// `MultiThreadedEventLoopGroup.singleton` (one thread per core, never shut down).
    public static var defaultEventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    /// Opens a TCP connection to `url`'s host and port on `eventLoop`, running `configure` on the event loop to set
    /// up the pipeline before any byte is read. For `https` and `wss` the pipeline starts with a TLS handler (set up
    /// from `tls`) below what `configure` adds; the handshake runs as soon as the connection is open. If connecting
    /// fails, `promise` (the exchange's result, which the pipeline would have completed) fails with the same error.
    static func connect<T>(
        to url: NetURL,
        tls: TLSOptions,
        on eventLoop: any EventLoop,
        timeout: Duration,
        failing promise: EventLoopPromise<T>,
        configure: @escaping @Sendable (any Channel) throws -> Void
    ) async throws(NetError) -> any Channel {
        let sslContext: NIOSSLContext?
        do {
            sslContext = url.scheme.isSecure ? try TLSContexts.context(for: tls) : nil
        } catch {
            promise.fail(error)
            throw error
        }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout.timeAmount)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(TLSContexts.handler(for: url, context: sslContext))
                    }
                    try configure(channel)
                }
            }
        let future: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: url.host, port: url.port) {
            future = bootstrap.connect(to: address)  // an IP literal: skip the resolver
        } else {
            future = bootstrap.connect(host: url.host, port: url.port)
        }
        do {
            return try await future.get()
        } catch {
            let error = NetError.connecting(to: url.authority, error)
            promise.fail(error)
            throw error
        }
    }

    /// Waits for `future`; if the calling task is cancelled meanwhile, runs `onCancel` (which should close the
    /// channel, so the future fails) and throws ``NetError/Code/cancelled``.
    static func await<T: Sendable>(
        _ future: EventLoopFuture<T>,
        authority: String,
        onCancel: @escaping @Sendable () -> Void
    ) async throws(NetError) -> T {
        do {
            return try await withTaskCancellationHandler {
                try await future.get()
            } onCancel: {
                onCancel()
            }
        } catch {
            if Task.isCancelled {
                throw NetError(.cancelled, "the request to \(authority) was cancelled")
            }
            throw NetError.transfer(with: authority, error)
        }
    }
}
