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

    /// On the channel's event loop.
    init(channel: any Channel, frames: ChannelHandlerContext, format: WireFormat) {
        self.channel = channel
        self.frames = NIOLoopBound(frames, eventLoop: channel.eventLoop)
        self.format = format
    }

    /// Whether ``close(code:reason:)`` was called.
    var isClosing: Bool { closing.load(ordering: .relaxed) }

    /// Sends a close frame with `code` and `reason` (cut to the 123 bytes a close frame allows),
    /// then closes the connection when the client answers with its close frame, or after a
    /// second (closing at once could reset a connection whose client is still sending, and lose
    /// the reason). Only the first call has an effect.
    func close(code: WebSocketErrorCode, reason: String) {
        sendClose(code: code, reason: reason, thenCloseAfter: .seconds(1))
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

/// Frames (and other event-loop work, such as HTTP responses) produced while a database's worker
/// runs a batch of jobs, grouped by event loop and handed over once per batch: one task per event
/// loop and one flush per client, not one per message.
struct Outbox {
    private var pending: [(ClientOutlet, ByteBuffer)] = []
    private var tasks: [(any EventLoop, @Sendable () -> Void)] = []
    /// A client whose queued bytes pass this is disconnected as a slow consumer.
    let maxQueuedBytes: Int

    init(maxQueuedBytes: Int) { self.maxQueuedBytes = maxQueuedBytes }

    var isEmpty: Bool { pending.isEmpty && tasks.isEmpty }

    /// Queues `task` to run on `loop` with this batch's frames.
    mutating func run(on loop: any EventLoop, _ task: @escaping @Sendable () -> Void) {
        tasks.append((loop, task))
    }

    /// Queues the frame `buffer` (see ``ServerFrame``) for `outlet`; returns false (and closes the
    /// client) if the client is too far behind. One buffer may go to many clients: NIO writes
    /// share its storage.
    @discardableResult
    mutating func send(_ buffer: ByteBuffer, to outlet: ClientOutlet) -> Bool {
        if outlet.isClosing { return false }
        let queued = outlet.queuedBytes.add(buffer.readableBytes, ordering: .relaxed).newValue
        if queued > maxQueuedBytes {
            outlet.close(
                code: .policyViolation,
                reason: "slow consumer: more than \(maxQueuedBytes) bytes of updates unsent; reconnect and resubscribe")
            return false
        }
        pending.append((outlet, buffer))
        return true
    }

    /// Hands everything queued to the event loops.
    mutating func flush() {
        guard !isEmpty else { return }
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, frames: [(ClientOutlet, ByteBuffer)], tasks: [@Sendable () -> Void])] = [:]
        for item in pending {
            let loop = item.0.channel.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [], [])].frames.append(item)
        }
        for (loop, task) in tasks { byLoop[ObjectIdentifier(loop), default: (loop, [], [])].tasks.append(task) }
        pending.removeAll(keepingCapacity: true)
        tasks.removeAll(keepingCapacity: true)
        for (_, work) in byLoop {
            work.loop.execute {
                if !work.frames.isEmpty { Self.write(work.frames) }
                for task in work.tasks { task() }
            }
        }
    }

    /// On the event loop: writes every frame, then flushes each client once; the queued-byte
    /// count drops when the socket took the bytes.
    private static func write(_ items: [(ClientOutlet, ByteBuffer)]) {
        var last: [ObjectIdentifier: (ClientOutlet, Int, Int)] = [:]  // outlet, index of last frame, bytes
        var order: [ClientOutlet] = []  // flushed in the order they were queued (a reducer's caller first)
        for (i, (outlet, frame)) in items.enumerated() {
            let key = ObjectIdentifier(outlet)
            if last[key] == nil { order.append(outlet) }
            let bytes = (last[key]?.2 ?? 0) + frame.readableBytes
            last[key] = (outlet, i, bytes)
        }
        for (i, (outlet, frame)) in items.enumerated() {
            let context = outlet.frames.value
            guard let (_, lastIndex, bytes) = last[ObjectIdentifier(outlet)], lastIndex == i else {
                context.write(NIOAny(frame), promise: nil)
                continue
            }
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { _ in outlet.queuedBytes.subtract(bytes, ordering: .relaxed) }
            context.write(NIOAny(frame), promise: promise)
        }
        for outlet in order { outlet.frames.value.flush() }
    }
}
