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
/// runs a batch of jobs, grouped by event loop and by client as they are queued and handed over
/// once per batch: one task per event loop and one flush per client, not one per message.
///
/// Used by one worker thread (it keeps its bookkeeping in the outlets' worker-only fields).
struct Outbox {
    /// One client's frames in a batch.
    private struct Delivery {
        let outlet: ClientOutlet
        let first: ByteBuffer
        var more: [ByteBuffer] = []
        var bytes: Int
    }

    /// One event loop's share of a batch, in the order queued (a reducer's caller first).
    private struct LoopWork {
        let loop: any EventLoop
        let id: ObjectIdentifier
        var clients: [Delivery] = []
        var tasks: [@Sendable () -> Void] = []
    }

    private var work: [LoopWork] = []
    /// Numbers batches, so an outlet can tell whether it already has frames in this one.
    private var batch: UInt64 = 1
    /// A client whose queued bytes pass this is disconnected as a slow consumer.
    let maxQueuedBytes: Int

    init(maxQueuedBytes: Int) { self.maxQueuedBytes = maxQueuedBytes }

    var isEmpty: Bool { work.isEmpty }

    /// Queues `task` to run on `loop` with this batch's frames.
    mutating func run(on loop: any EventLoop, _ task: @escaping @Sendable () -> Void) {
        work[index(of: ObjectIdentifier(loop)) ?? add(loop)].tasks.append(task)
    }

    /// Queues the frame `buffer` (see ``ServerFrame``) for `outlet`; returns false (and closes the
    /// client) if the client is too far behind. One buffer may go to many clients: NIO writes
    /// share its storage.
    @discardableResult
    mutating func send(_ buffer: ByteBuffer, to outlet: ClientOutlet) -> Bool {
        if outlet.isClosing { return false }
        let n = buffer.readableBytes
        let queued = outlet.queuedBytes.add(n, ordering: .relaxed).newValue
        if queued > maxQueuedBytes {
            outlet.close(
                code: .policyViolation,
                reason: "slow consumer: more than \(maxQueuedBytes) bytes of updates unsent; reconnect and resubscribe")
            return false
        }
        if outlet.outboxBatch.load(ordering: .relaxed) == batch {
            let slot = outlet.outboxSlot.load(ordering: .relaxed)
            let (l, c) = (slot >> 32, slot & 0xFFFF_FFFF)
            work[l].clients[c].more.append(buffer)
            work[l].clients[c].bytes += n
        } else {
            let l = index(of: outlet.loopID) ?? add(outlet.loop)
            outlet.outboxBatch.store(batch, ordering: .relaxed)
            outlet.outboxSlot.store(l << 32 | work[l].clients.count, ordering: .relaxed)
            work[l].clients.append(Delivery(outlet: outlet, first: buffer, bytes: n))
        }
        return true
    }

    /// The position of the share of the event loop `id` in `work` (a batch touches a few loops).
    @inline(__always)
    private func index(of id: ObjectIdentifier) -> Int? {
        var i = 0
        while i < work.count {
            if work[i].id == id { return i }
            i += 1
        }
        return nil
    }

    private mutating func add(_ loop: any EventLoop) -> Int {
        work.append(LoopWork(loop: loop, id: ObjectIdentifier(loop)))
        return work.count - 1
    }

    /// Hands everything queued to the event loops.
    mutating func flush() {
        guard !work.isEmpty else { return }
        for share in work {
            share.loop.execute {
                if !share.clients.isEmpty { Self.write(share.clients) }
                for task in share.tasks { task() }
            }
        }
        work.removeAll(keepingCapacity: true)
        batch &+= 1
    }

    /// On the event loop: writes and flushes each client's frames in turn. The queued-byte count
    /// drops once the socket took them: at once when the channel was writable (the kernel took
    /// them, or NIO holds less than its high-water mark), else when the write completes, so a
    /// client that stopped reading accumulates its count and is cut off (see ``send(_:to:)``).
    private static func write(_ clients: [Delivery]) {
        for d in clients {
            let context = d.outlet.frames.value
            let backedUp = !context.channel.isWritable
            var last = d.first
            for frame in d.more {
                context.write(NIOAny(last), promise: nil)
                last = frame
            }
            var promise: EventLoopPromise<Void>?
            if backedUp {
                let (outlet, bytes) = (d.outlet, d.bytes)
                promise = context.eventLoop.makePromise(of: Void.self)
                promise?.futureResult.whenComplete { _ in outlet.queuedBytes.subtract(bytes, ordering: .relaxed) }
            }
            context.write(NIOAny(last), promise: promise)
            context.flush()
            if !backedUp { d.outlet.queuedBytes.subtract(d.bytes, ordering: .relaxed) }
        }
    }
}
