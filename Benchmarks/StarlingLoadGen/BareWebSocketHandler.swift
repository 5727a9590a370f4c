import NIOCore
import NIOWebSocket

/// What a ``BareWebSocketHandler`` does with its connection's messages. Every call comes on the connection's
/// event loop; the sink is stored inline in the handler (no existential, no lock of its own needed).
protocol BareWebSocketSink {
    /// Whether the run is closing this connection, so the server closing it or the connection dropping is
    /// expected rather than a failure.
    var isClosing: Bool { get }

    /// One complete binary message, read in place. Returns a failure text to end the connection with
    /// (``failed(_:)`` is then called and the channel closed).
    mutating func received(_ message: ByteBuffer) -> String?

    /// The end of a read batch: every message of the socket reads just done was handed to ``received(_:)``.
    mutating func readComplete()

    /// The connection failed or ended while it was not closing.
    mutating func failed(_ text: String)
}

/// Handles a bare WebSocket connection's frames on its event loop: reassembles fragmented messages,
/// answers pings and close frames, hands each complete binary message to its ``BareWebSocketSink`` and
/// tells it when a read batch ends.
final class BareWebSocketHandler<Sink: BareWebSocketSink>: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    var sink: Sink
    private var fragments: ByteBuffer?
    private var closeSent = false

    init(sink: Sink) { self.sink = sink }

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
            context.writeAndFlush(Self.wrapOutboundOut(BareWebSocket.frame(.pong, frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            closeReceived(frame, context: context)
        default:
            fail(context, "an unexpected \(frame.opcode) frame")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        sink.readComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !sink.isClosing { sink.failed("the connection dropped") }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !sink.isClosing { sink.failed("\(error)") }
        context.close(promise: nil)
    }

    /// The server's close frame: the end of our closing handshake, or a failure (answered, then closed).
    private func closeReceived(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        if sink.isClosing || closeSent {
            context.close(promise: nil)
            return
        }
        var data = frame.unmaskedData
        let code = data.readInteger(as: UInt16.self).map { "\($0)" } ?? "no code"
        let reason = data.readString(length: data.readableBytes) ?? ""
        sink.failed("the server closed the connection (\(code) \(reason))")
        closeSent = true
        var echo = context.channel.allocator.buffer(capacity: 2)
        echo.writeInteger(UInt16(1000))
        context.writeAndFlush(Self.wrapOutboundOut(BareWebSocket.frame(.connectionClose, echo))).assumeIsolated()
            .whenComplete { _ in context.close(promise: nil) }
    }

    private func deliver(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if let failure = sink.received(buffer) { fail(context, failure) }
    }

    private func fail(_ context: ChannelHandlerContext, _ text: String) {
        sink.failed(text)
        context.close(promise: nil)
    }
}
