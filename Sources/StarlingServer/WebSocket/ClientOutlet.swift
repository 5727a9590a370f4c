import NIOCore
import NIOWebSocket
import StarlingProtocol
import Synchronization

/// The sending side of one WebSocket client, usable from any thread. Counts the bytes handed to
/// it that the socket has not taken yet, so a slow consumer can be cut off instead of growing
/// server memory without bound.
final class ClientOutlet: Sendable {
    let channel: any Channel
    /// Where whole frames (``ServerFrame``) are written: the ``RawFrameWriter``'s context.
    let frames: NIOLoopBound<ChannelHandlerContext>
    let format: WireFormat
    /// Bytes queued for this client and not yet written to its socket.
    let queuedBytes = Atomic<Int>(0)
    private let closing = Atomic<Bool>(false)
    /// The channel's writability as of its last change (kept by the session handler on the event
    /// loop, so writing to many clients reads this field instead of each channel's state).
    private let writable = Atomic<Bool>(true)
    /// The channel's event loop, and its identity (``Outbox`` groups frames by it).
    let loop: any EventLoop
    let loopID: ObjectIdentifier
    /// The ``Outbox`` batch this client last got a frame in, and where in it (event loop << 32 |
    /// client): used only by the worker of the database the client is connected to (atomics for
    /// the `Sendable` class, relaxed: no ordering is needed on one thread).
    let outboxBatch = Atomic<UInt64>(0)
    let outboxSlot = Atomic<Int>(0)

    /// On the channel's event loop.
    init(channel: any Channel, frames: ChannelHandlerContext, format: WireFormat) {
        self.channel = channel
        loop = channel.eventLoop
        loopID = ObjectIdentifier(channel.eventLoop)
        self.frames = NIOLoopBound(frames, eventLoop: channel.eventLoop)
        self.format = format
    }

    /// Whether the channel takes writes without queueing past its high-water mark.
    var isWritable: Bool { writable.load(ordering: .relaxed) }

    /// On the event loop, when the channel's writability changed.
    func writabilityChanged(_ isWritable: Bool) { writable.store(isWritable, ordering: .relaxed) }

    /// Whether ``close(code:reason:)`` was called.
    var isClosing: Bool { closing.load(ordering: .relaxed) }

    /// Sends a close frame with `code` and `reason` (cut to the 123 bytes a close frame allows),
    /// then closes the connection when the client answers with its close frame, or after a
    /// second (closing at once could reset a connection whose client is still sending, and lose
    /// the reason). Only the first call has an effect.
    func close(code: WebSocketErrorCode, reason: String) {
        sendClose(code: code, reason: reason, thenCloseAfter: .seconds(1))
    }

    /// Closes a client that fell more than `limit` bytes behind (policy violation, 1008).
    func closeAsSlowConsumer(limit: Int) {
        close(
            code: .policyViolation,
            reason: "slow consumer: more than \(limit) bytes of updates unsent; reconnect and resubscribe")
    }

    /// Answers a close frame the client sent: the same code back, then the connection closes at once.
    func answerClose(code: WebSocketErrorCode) {
        sendClose(code: code, reason: "", thenCloseAfter: .zero)
    }

    private func sendClose(code: WebSocketErrorCode, reason: String, thenCloseAfter delay: TimeAmount) {
        guard !closing.exchange(true, ordering: .relaxed) else {
            if delay == .zero { channel.close(promise: nil) }
            return
        }
        let channel = channel
        channel.eventLoop.execute {
            var buffer = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
            buffer.write(webSocketErrorCode: code)
            buffer.writeBytes(reason.utf8.prefix(123))
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)
            channel.writeAndFlush(frame).whenComplete { _ in
                if delay == .zero {
                    channel.close(promise: nil)
                } else {
                    channel.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
                }
            }
        }
    }
}
