import NIOCore
import NIOWebSocket
import StarlingProtocol
import Synchronization

/// Frames (and other event-loop work, such as HTTP responses) produced while a database's worker
/// runs a batch of jobs, grouped by event loop and by client as they are queued and handed over
/// once per batch: one task per event loop and one flush per client, not one per message.
///
/// A frame only one client gets (a reducer's reply) is appended to a buffer that client's frames
/// of the batch share, so a batch costs one allocation and one NIO write per client however many
/// replies it holds; a frame built once for many clients is queued as its own shared buffer.
/// A large audience's frame can be queued as a group instead (``send(groups:except:)``): one
/// entry per event loop, whose task checks and writes each client itself, so the worker does no
/// work per client.
///
/// Used by one worker thread (it keeps its bookkeeping in the outlets' worker-only fields).
struct Outbox {
    /// One client's frames in a batch: `first`, then `more`.
    fileprivate struct Delivery: Sendable {
        let outlet: ClientOutlet
        var first: ByteBuffer
        var more: [ByteBuffer] = []
        var bytes: Int
        /// Whether the last buffer is this client's own (more frames may be appended to it).
        var lastIsOwn: Bool

        /// Appends a frame with `payload` to the client's own last buffer (a new one if the last is shared).
        mutating func append(_ payload: UnsafeRawBufferPointer, format: WireFormat, size: Int) {
            bytes += size
            if !lastIsOwn {
                more.append(ServerFrame.make(payload, format: format, capacity: Outbox.ownBufferSize))
                lastIsOwn = true
            } else if more.isEmpty {
                ServerFrame.append(payload, format: format, to: &first)
            } else {
                ServerFrame.append(payload, format: format, to: &more[more.count - 1])
            }
        }
    }

    /// One frame for many clients of one event loop (see ``send(groups:except:)``).
    fileprivate struct GroupDelivery: Sendable {
        let frame: ByteBuffer
        let outlets: [ClientOutlet]
        /// The client of `outlets` that does not get the frame (a reducer's caller, answered apart).
        let skip: ObjectIdentifier?
        let maxQueuedBytes: Int
    }

    /// One event loop's share of a batch, in the order queued (a reducer's caller first): its
    /// clients' frames, then its groups' frames, then its tasks.
    fileprivate struct LoopWork: Sendable {
        let loop: any EventLoop
        let id: ObjectIdentifier
        var clients: [Delivery] = []
        var groups: [GroupDelivery] = []
        var tasks: [@Sendable () -> Void] = []
    }

    /// A frame for each client of `outlets`, all on `loop` (see ``send(groups:except:)``).
    struct Group {
        let frame: ByteBuffer
        let outlets: [ClientOutlet]
        let loop: any EventLoop
    }

    /// The initial capacity of a client's own buffer: room for a batch of 16 typical replies.
    static let ownBufferSize = 2048
    /// How many clients' frames a large fan-out queues before handing them over mid-batch.
    static let earlyHandover = 128

    private var work: [LoopWork] = []
    /// Where the current segment of `work` starts: shares before it are closed (a group was
    /// queued after them), so frames queued now go to new shares, written after the groups.
    private var segmentStart = 0
    /// Clients with frames in this batch.
    private(set) var clientCount = 0
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
        let n = buffer.readableBytes
        let slot = slot(of: outlet)
        guard admit(n, for: outlet, pending: slot.map { work[$0.0].clients[$0.1].bytes } ?? 0) else { return false }
        if let (l, c) = slot {
            work[l].clients[c].more.append(buffer)
            work[l].clients[c].bytes += n
            work[l].clients[c].lastIsOwn = false
        } else {
            addDelivery(Delivery(outlet: outlet, first: buffer, bytes: n, lastIsOwn: false))
        }
        return true
    }

    /// Queues a frame carrying `payload` in `format` for `outlet` alone, copied into the buffer
    /// its frames of this batch share; returns false (and closes the client) if the client is
    /// too far behind.
    @discardableResult
    mutating func send(payload: UnsafeRawBufferPointer, format: WireFormat, to outlet: ClientOutlet) -> Bool {
        let n = ServerFrame.size(payloadLength: payload.count)
        let slot = slot(of: outlet)
        guard admit(n, for: outlet, pending: slot.map { work[$0.0].clients[$0.1].bytes } ?? 0) else { return false }
        if let (l, c) = slot {
            work[l].clients[c].append(payload, format: format, size: n)
        } else {
            let buffer = ServerFrame.make(payload, format: format, capacity: Self.ownBufferSize)
            addDelivery(Delivery(outlet: outlet, first: buffer, bytes: n, lastIsOwn: true))
        }
        return true
    }

    /// Queues each group's frame for every client of its outlets but `skip`, with no work per
    /// client on this thread: each event loop's task checks a client's limit when it writes to
    /// it (a client past it is closed and skipped). Whatever is queued afterwards, for any
    /// client, is written after these frames.
    mutating func send(groups: [Group], except skip: ClientOutlet?) {
        guard !groups.isEmpty else { return }
        let skipped = skip.map(ObjectIdentifier.init)
        for g in groups {
            let l = index(of: ObjectIdentifier(g.loop)) ?? add(g.loop)
            work[l].groups.append(
                GroupDelivery(frame: g.frame, outlets: g.outlets, skip: skipped, maxQueuedBytes: maxQueuedBytes))
        }
        // Close the segment: a later frame for one of these clients must not join a delivery
        // written before the groups.
        segmentStart = work.count
        batch &+= 1
    }

    /// Whether `n` more bytes may be queued for `outlet`, which has `pending` bytes in this batch
    /// already; false (and the client closed) past the limit. The batch's bytes are added to the
    /// outlet's count once, when it is flushed: one atomic update per client per batch, on a
    /// counter the event loop updates too.
    private func admit(_ n: Int, for outlet: ClientOutlet, pending: Int) -> Bool {
        if outlet.isClosing { return false }
        if outlet.queuedBytes.load(ordering: .relaxed) + pending + n > maxQueuedBytes {
            outlet.closeAsSlowConsumer(limit: maxQueuedBytes)
            return false
        }
        return true
    }

    /// Where `outlet`'s delivery of this batch is (event loop share, client), if it has one.
    @inline(__always)
    private func slot(of outlet: ClientOutlet) -> (Int, Int)? {
        guard outlet.outboxBatch.load(ordering: .relaxed) == batch else { return nil }
        let slot = outlet.outboxSlot.load(ordering: .relaxed)
        return (slot >> 32, slot & 0xFFFF_FFFF)
    }

    private mutating func addDelivery(_ delivery: Delivery) {
        let outlet = delivery.outlet
        let l = index(of: outlet.loopID) ?? add(outlet.loop)
        outlet.outboxBatch.store(batch, ordering: .relaxed)
        outlet.outboxSlot.store(l << 32 | work[l].clients.count, ordering: .relaxed)
        work[l].clients.append(delivery)
        clientCount += 1
    }

    /// The position of the share of the event loop `id` in the current segment of `work` (a
    /// batch touches a few loops).
    @inline(__always)
    private func index(of id: ObjectIdentifier) -> Int? {
        var i = segmentStart
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
        Self.account(work)
        Self.deliver(work)  // the loops' tasks hold their shares, so `work` keeps its storage
        startNextBatch()
    }

    /// Takes everything queued as one batch to deliver later (nil when nothing is queued); its
    /// bytes count against each client's limit from now on. Batches must be delivered in the order
    /// they were sealed.
    mutating func seal() -> SealedBatch? {
        guard !work.isEmpty else { return nil }
        Self.account(work)
        let sealed = SealedBatch(shares: work)
        startNextBatch()
        return sealed
    }

    /// A sealed batch of frames and tasks, grouped by event loop (see ``Outbox/seal()``).
    struct SealedBatch: Sendable {
        fileprivate let shares: [LoopWork]

        /// Hands the batch to its event loops: one task per loop.
        func deliver() { Outbox.deliver(shares) }
    }

    private mutating func startNextBatch() {
        work.removeAll(keepingCapacity: true)
        segmentStart = 0
        clientCount = 0
        batch &+= 1
    }

    /// Adds each client's bytes in `shares` to its queued count: once per client per batch.
    private static func account(_ shares: [LoopWork]) {
        for share in shares {
            for d in share.clients { d.outlet.queuedBytes.add(d.bytes, ordering: .relaxed) }
        }
    }

    /// Runs one task per share (per event loop and segment, in order) that writes its clients'
    /// frames, then its groups', then runs its other tasks.
    private static func deliver(_ shares: [LoopWork]) {
        for share in shares {
            share.loop.execute {
                if !share.clients.isEmpty { write(share.clients) }
                for group in share.groups { write(group) }
                for task in share.tasks { task() }
            }
        }
    }

    /// On the event loop: writes and flushes a group's frame to each of its clients that is open,
    /// not skipped and within its limit (counting what its socket has not taken yet; a client
    /// past it is closed). Nothing is counted for a client whose channel takes the frame at once.
    private static func write(_ group: GroupDelivery) {
        let frame = group.frame
        let n = frame.readableBytes
        for outlet in group.outlets where ObjectIdentifier(outlet) != group.skip && !outlet.isClosing {
            if outlet.queuedBytes.load(ordering: .relaxed) + n > group.maxQueuedBytes {
                outlet.closeAsSlowConsumer(limit: group.maxQueuedBytes)
                continue
            }
            let backedUp = !outlet.isWritable
            if backedUp { outlet.queuedBytes.add(n, ordering: .relaxed) }
            writeLast(frame, via: outlet.frames.value, of: outlet, counted: backedUp ? n : 0, backedUp: backedUp)
        }
    }

    /// On the event loop: writes and flushes each client's frames in turn. The queued-byte count
    /// drops once the socket took them: at once when the channel was writable (the kernel took
    /// them, or NIO holds less than its high-water mark), else when the write completes, so a
    /// client that stopped reading accumulates its count and is cut off (see ``send(_:to:)``).
    private static func write(_ clients: [Delivery]) {
        for d in clients {
            let context = d.outlet.frames.value
            let backedUp = !d.outlet.isWritable
            var last = d.first
            for frame in d.more {
                context.write(NIOAny(last), promise: nil)
                last = frame
            }
            writeLast(last, via: context, of: d.outlet, counted: d.bytes, backedUp: backedUp)
        }
    }

    /// Writes and flushes a client's last frame of a batch; the `counted` bytes leave its queued
    /// count once the socket took them: at once unless the channel was `backedUp` (the kernel took
    /// them, or NIO holds less than its high-water mark), else when the write completes.
    private static func writeLast(
        _ frame: ByteBuffer, via context: ChannelHandlerContext, of outlet: ClientOutlet, counted: Int, backedUp: Bool
    ) {
        guard backedUp else {
            context.writeAndFlush(NIOAny(frame), promise: nil)
            if counted > 0 { outlet.queuedBytes.subtract(counted, ordering: .relaxed) }
            return
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in outlet.queuedBytes.subtract(counted, ordering: .relaxed) }
        context.writeAndFlush(NIOAny(frame), promise: promise)
    }
}
