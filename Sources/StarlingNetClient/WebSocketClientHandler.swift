import NIOCore
import NIOWebSocket
import Synchronization

/// What a ``WebSocketConnection`` and its channel handler share across threads.
final class WebSocketSharedState: Sendable {
    private let closeInfo = Mutex<WebSocketCloseInfo?>(nil)

    /// The server's close frame, or ``WebSocketCloseCode/abnormalClosure`` if the connection dropped without one.
    var peerCloseInfo: WebSocketCloseInfo? { self.closeInfo.withLock { $0 } }

    func recordClose(_ info: WebSocketCloseInfo) {
        self.closeInfo.withLock { if $0 == nil { $0 = info } }
    }
}

/// The channel handler behind a ``WebSocketConnection``: runs ``WebSocketProtocolState`` on the frames from the
/// server, hands messages to the consumer through an ``InboundFlow`` (pausing reads while it is behind),
/// writes pongs and close frames, and refuses data frames once a close frame was sent.
final class WebSocketClientHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var state: WebSocketProtocolState
    private let flow: InboundFlow<WebSocketMessage>
    private let shared: WebSocketSharedState
    private let authority: String
    private var context: ChannelHandlerContext?
    /// The first failure; the message stream ends with it.
    private var failure: NetError?
    private var closeTimer: Scheduled<Void>?

    /// Creates the handler and the stream its messages go to. Call on `eventLoop`.
    init(
        eventLoop: any EventLoop,
        authority: String,
        maxMessageSize: Int,
        bufferedMessageLimit: Int,
        shared: WebSocketSharedState
    ) {
        self.state = WebSocketProtocolState(maxMessageSize: maxMessageSize, authority: authority)
        self.authority = authority
        self.shared = shared
        let limit = max(2, bufferedMessageLimit)
        (self.flow, self.messages) = InboundFlow.make(on: eventLoop, lowWatermark: limit / 2, highWatermark: limit)
    }

    /// The stream of messages; handed to the ``WebSocketConnection`` once.
    let messages: NetStream<WebSocketMessage>

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.flow.attach(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.closeTimer?.cancel()
        self.flow.finish(self.failure)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.state.receive(Self.unwrapInboundIn(data)) {
        case .none:
            break
        case .deliver(let message):
            self.flow.append(message)
        case .sendPong(let payload):
            context.writeAndFlush(Self.wrapOutboundOut(Self.frame(.pong, payload)), promise: nil)
        case .peerClosed(let info, let reply):
            self.shared.recordClose(info)
            if reply {
                let echo = info.code.isSendable ? info.code : nil
                let frame = Self.closeFrame(code: echo, reason: "", allocator: context.channel.allocator)
                context.writeAndFlush(Self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        case .fail(let error, let code):
            self.failure = self.failure ?? error
            if let code {
                let frame = Self.closeFrame(code: code, reason: "", allocator: context.channel.allocator)
                context.writeAndFlush(Self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flow.flush()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        self.flow.read(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only the application's frames pass here; the handler's own pongs and close frames start below it.
        guard self.state.canSendData else {
            promise?.fail(NetError(.alreadyClosed, "the WebSocket connection to \(self.authority) is closing"))
            return
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closeTimer?.cancel()
        if self.state.phase == .open && self.failure == nil {
            self.failure = NetError(
                .connectionClosed,
                "\(self.authority) closed the connection without a WebSocket close frame (1006)"
            )
        }
        self.state.connectionFailed()
        self.shared.recordClose(WebSocketCloseInfo(code: .abnormalClosure))
        self.flow.finish(self.failure)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Decoder errors already made NIO's WebSocketProtocolErrorHandler send a close frame. An error after the
        // closing handshake (say, a reset because the server closed first) changes nothing.
        if self.state.phase != .closed {
            self.failure = self.failure ?? NetError.transfer(with: self.authority, error)
        }
        self.state.connectionFailed()
        context.close(promise: nil)
    }

    /// Starts the closing handshake: sends a close frame, then closes the connection when the server's close
    /// frame arrives or after `timeout`. Does nothing if a close frame was already sent or received.
    func initiateClose(code: WebSocketCloseCode, reason: String, timeout: TimeAmount) {
        guard let context = self.context else { return }
        guard self.state.closeRequested() else {
            if self.state.phase == .closed { context.close(promise: nil) }
            return
        }
        let frame = Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
        self.flow.ignoreBackpressure()
        let channel = context.channel
        self.closeTimer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    /// A masked frame with the FIN bit set. RFC 6455 §5.3: every client frame is masked with a fresh random key.
    static func frame(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
    }

    /// A close frame with an optional status code and a reason cut to fit the 125-byte control frame limit.
    static func closeFrame(code: WebSocketCloseCode?, reason: String, allocator: ByteBufferAllocator) -> WebSocketFrame
    {
        var buffer = allocator.buffer(capacity: 125)
        if let code {
            buffer.writeInteger(code.rawValue)
            var utf8 = Array(reason.utf8.prefix(123))
            while !utf8.isEmpty, String(validating: utf8, as: UTF8.self) == nil { utf8.removeLast() }
            buffer.writeBytes(utf8)
        }
        return Self.frame(.connectionClose, buffer)
    }
}
