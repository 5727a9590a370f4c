import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import StarlingNetClient
import StarlingProtocol

/// A bare WebSocket client for subscribers: NIO's HTTP upgrade and frame codec, then a
/// ``FanOutFrameHandler`` that handles every frame on the event loop as it is read.
///
/// Unlike `WebSocketConnection` (an async message stream per connection, consumed by a Swift task), nothing
/// here crosses into Swift concurrency per message: a subscriber update costs one socket read, the frame
/// decoder and an in-place parse, and is timestamped when the event loop reads it. With thousands of
/// connections served by one client thread this is what keeps the load generator from being the bottleneck.
enum FanOutSocket {
    /// The upgrade's outcome, as NIO's typed client upgrader reports it.
    enum Upgrade: Sendable {
        case upgraded(any Channel)
        case refused
    }

    /// Connects to `url` (`ws://host:port/path`), upgrades with the BSATN subprotocol and installs a
    /// ``FanOutFrameHandler`` for `subscriber`. Returns the channel once the upgrade completed.
    static func connect(
        url: NetURL,
        token: String,
        subscriber: FanOutSubscriber,
        on loop: any EventLoop,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> any Channel {
        let upgrade = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture { () -> EventLoopFuture<Upgrade> in
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
                        maxFrameSize: 1 << 26,
                        enableAutomaticErrorHandling: true,
                        upgradePipelineHandler: { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                let selected = response.headers["Sec-WebSocket-Protocol"].first
                                guard selected == WireFormat.bsatn.subprotocol else {
                                    throw LoadGenError("the server selected the subprotocol \(selected ?? "none")")
                                }
                                try channel.pipeline.syncOperations.addHandler(FanOutFrameHandler(subscriber: subscriber))
                                return Upgrade.upgraded(channel)
                            }
                        }
                    )
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: url.authority)
                    headers.add(name: "Sec-WebSocket-Protocol", value: WireFormat.bsatn.subprotocol)
                    headers.add(name: "Authorization", value: "Bearer \(token)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head,
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeSucceededFuture(Upgrade.refused)
                        }
                    )
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration)
                    )
                }
            }
        switch try await upgrade.get() {
        case .upgraded(let channel): return channel
        case .refused: throw LoadGenError("the server refused the WebSocket upgrade of \(url)")
        }
    }

    /// A masked client frame (the encoder masks the payload with the key).
    static func frame(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
    }

    /// Sends a binary message on `channel`.
    static func send(_ bytes: [UInt8], on channel: any Channel) async throws {
        try await channel.writeAndFlush(frame(.binary, channel.allocator.buffer(bytes: bytes))).get()
    }

    /// Sends a close frame (1000) and waits up to `timeout` for the server to close; then closes.
    static func close(_ channel: any Channel, timeout: TimeAmount = .seconds(2)) async {
        var payload = channel.allocator.buffer(capacity: 2)
        payload.writeInteger(UInt16(1000))
        channel.writeAndFlush(frame(.connectionClose, payload), promise: nil)
        let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        timer.cancel()
    }
}

/// Handles a subscriber's frames on its event loop: reassembles fragmented messages, answers pings and
/// close frames, and hands each complete binary message to its ``FanOutSubscriber`` in place.
final class FanOutFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let subscriber: FanOutSubscriber
    /// The subscriber's position in the writer's call log (see ``FanOutCalls/arrive(from:to:at:cursor:)``).
    private var cursor = 0
    private var fragments: ByteBuffer?
    private var closeSent = false

    init(subscriber: FanOutSubscriber) { self.subscriber = subscriber }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary where frame.fin:
            deliver(frame.unmaskedData, context: context)
        case .binary:
            fragments = frame.unmaskedData
        case .continuation:
            guard var buffer = fragments else { return fail(context, "a continuation frame without a first frame") }
            var part = frame.unmaskedData
            buffer.writeBuffer(&part)
            if frame.fin {
                fragments = nil
                deliver(buffer, context: context)
            } else {
                fragments = buffer
            }
        case .ping:
            context.writeAndFlush(Self.wrapOutboundOut(FanOutSocket.frame(.pong, frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            if subscriber.isClosing || closeSent {
                context.close(promise: nil)
                return
            }
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self).map { "\($0)" } ?? "no code"
            let reason = data.readString(length: data.readableBytes) ?? ""
            subscriber.failed("the server closed the connection (\(code) \(reason))")
            closeSent = true
            var echo = context.channel.allocator.buffer(capacity: 2)
            echo.writeInteger(UInt16(1000))
            context.writeAndFlush(Self.wrapOutboundOut(FanOutSocket.frame(.connectionClose, echo))).assumeIsolated()
                .whenComplete { _ in context.close(promise: nil) }
        default:
            fail(context, "an unexpected \(frame.opcode) frame")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !subscriber.isClosing { subscriber.failed("the connection dropped") }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !subscriber.isClosing { subscriber.failed("\(error)") }
        context.close(promise: nil)
    }

    private func deliver(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        let now = monotonicNanos()
        let message = buffer.withUnsafeReadableBytes { FanOutParser.parse(raw: $0, keepIds: subscriber.keepIds) }
        guard let message else { return fail(context, "a malformed message (\(buffer.readableBytes) bytes)") }
        subscriber.received(message, at: now, cursor: &cursor)
    }

    private func fail(_ context: ChannelHandlerContext, _ text: String) {
        subscriber.failed(text)
        context.close(promise: nil)
    }
}
