import NIOCore
import NIOWebSocket

/// An open WebSocket connection (RFC 6455, client side), made by ``WebSocketClient/connect(url:subprotocol:headers:maxFrameSize:maxMessageSize:bufferedMessageLimit:timeout:tls:eventLoopGroup:)``.
///
/// - Sending: ``send(text:)``, ``send(binary:)``, and ``send(frames:)`` for batches (one event-loop hop and one
///   flush for the whole batch). Every frame is masked with a fresh random key. A send returns once its
///   frames were handed to the kernel, so a sender that awaits its sends cannot outrun the socket.
///   Sends may come from several tasks at once; frames of one call stay together and in order.
/// - Receiving: iterate ``messages`` (once, from one task). Fragmented messages arrive reassembled; pings are
///   answered automatically. The stream ends normally after a close frame and throws ``NetError`` if the
///   connection fails or drops without a close frame. The server's close code and reason are in ``closeInfo``.
/// - Backpressure: at most `bufferedMessageLimit` unconsumed messages are buffered (plus one socket read's
///   worth); then the client stops reading from the socket, so the server sees TCP backpressure. While paused,
///   pings and close frames wait too. A connection whose messages nobody reads stalls once the buffer is full;
///   breaking out of the loop early makes the client discard further messages but keep answering pings.
/// - Closing: ``close(code:reason:timeout:)`` runs the closing handshake; from then on the client reads regardless
///   of the buffer limit, so the server's close frame is seen. When neither the connection nor an iterator of
///   ``messages`` is referenced any more, the TCP connection is closed abruptly (no close frame).
public final class WebSocketConnection: Sendable {
    /// The URL this connection was opened to.
    public let url: NetURL
    /// The subprotocol the server selected (the `Sec-WebSocket-Protocol` response header), if any.
    public let subprotocol: String?
    /// The messages from the server, in order. Iterate once. The stream keeps the connection alive while it is
    /// iterated, so `for try await m in try await WebSocketClient.connect(...).messages` works.
    public var messages: NetStream<WebSocketMessage> { NetStream(producer: self.stream.producer, owner: self) }

    private let stream: NetStream<WebSocketMessage>

    private let channel: any Channel
    private let handler: NIOLoopBound<WebSocketClientHandler>
    private let shared: WebSocketSharedState

    init(
        url: NetURL,
        subprotocol: String?,
        channel: any Channel,
        handler: WebSocketClientHandler,
        shared: WebSocketSharedState
    ) {
        self.url = url
        self.subprotocol = subprotocol
        self.stream = handler.messages
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.shared = shared
    }

    deinit {
        self.channel.close(promise: nil)
    }

    /// The status code and reason of the server's close frame once one arrived; ``WebSocketCloseCode/abnormalClosure``
    /// if the connection dropped without one; nil while the connection is open.
    public var closeInfo: WebSocketCloseInfo? { self.shared.peerCloseInfo }

    /// Whether the TCP connection is still open.
    public var isOpen: Bool { self.channel.isActive }

    /// Sends one text message in one frame.
    public func send(text: String) async throws(NetError) {
        try await self.write(self.frame(for: .text(text)))
    }

    /// Sends one binary message in one frame.
    public func send(binary: [UInt8]) async throws(NetError) {
        try await self.write(self.frame(for: .binary(binary)))
    }

    /// Sends one message in one frame.
    public func send(_ message: WebSocketMessage) async throws(NetError) {
        try await self.write(self.frame(for: message))
    }

    /// Sends many messages, one frame each, in order, with one hop to the event loop and one flush.
    /// Returns when all of them were written to the socket.
    public func send(frames messages: [WebSocketMessage]) async throws(NetError) {
        guard !messages.isEmpty else { return }
        let frames = messages.map { self.frame(for: $0) }
        let channel = self.channel
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            for frame in frames.dropLast() { channel.write(frame, promise: nil) }
            channel.writeAndFlush(frames[frames.count - 1], promise: promise)
        }
        try await self.wait(promise.futureResult)
    }

    /// Sends a ping; the server's pong is consumed silently.
    public func ping(_ payload: [UInt8] = []) async throws(NetError) {
        guard payload.count <= 125 else {
            throw NetError(.protocolViolation, "a ping payload may have at most 125 bytes, not \(payload.count)")
        }
        try await self.write(WebSocketClientHandler.frame(.ping, self.channel.allocator.buffer(bytes: payload)))
    }

    /// Runs the closing handshake: sends a close frame with `code` and `reason` (cut to 123 bytes), waits up to
    /// `timeout` for the server's close frame, then closes the TCP connection.
    ///
    /// - Returns: The server's close code and reason (``closeInfo``), or nil if it sent none before the timeout.
    @discardableResult
    public func close(
        code: WebSocketCloseCode = .normalClosure,
        reason: String = "",
        timeout: Duration = .seconds(5)
    ) async -> WebSocketCloseInfo? {
        let handler = self.handler
        let amount = timeout.timeAmount
        handler.eventLoop.execute { handler.value.initiateClose(code: code, reason: reason, timeout: amount) }
        try? await self.channel.closeFuture.get()
        let info = self.closeInfo
        return info?.code == .abnormalClosure ? nil : info
    }

    /// Waits until the connection is closed (by either side) and returns ``closeInfo``.
    public func closed() async -> WebSocketCloseInfo? {
        try? await self.channel.closeFuture.get()
        return self.closeInfo
    }

    private func frame(for message: WebSocketMessage) -> WebSocketFrame {
        // Leave room in front of the payload so the encoder writes the frame header in place (one buffer per frame).
        let headroom = 14
        var buffer: ByteBuffer
        switch message {
        case .text(let text):
            buffer = self.channel.allocator.buffer(capacity: headroom + text.utf8.count)
            buffer.moveWriterIndex(forwardBy: headroom)
            buffer.moveReaderIndex(forwardBy: headroom)
            buffer.writeString(text)
            return WebSocketClientHandler.frame(.text, buffer)
        case .binary(let bytes):
            buffer = self.channel.allocator.buffer(capacity: headroom + bytes.count)
            buffer.moveWriterIndex(forwardBy: headroom)
            buffer.moveReaderIndex(forwardBy: headroom)
            buffer.writeBytes(bytes)
            return WebSocketClientHandler.frame(.binary, buffer)
        }
    }

    private func write(_ frame: WebSocketFrame) async throws(NetError) {
        try await self.wait(self.channel.writeAndFlush(frame))
    }

    private func wait(_ future: EventLoopFuture<Void>) async throws(NetError) {
        do {
            try await future.get()
        } catch {
            throw NetError.transfer(with: self.url.authority, error)
        }
    }
}
