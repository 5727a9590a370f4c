import Histogram
import NIOCore
import NIOWebSocket
import StarlingNetClient
import Synchronization

/// What one connection measured during the measured window.
struct ConnectionStats: Sendable {
    /// Send-to-reply latency of each call answered during the measured window, in microseconds.
    var latency = latencyHistogram()
    var committed = 0
    var failed = 0
    /// Replies received over the whole run (warmup, measured window and drain).
    var repliesTotal = 0
    /// Calls handed to the socket over the whole run.
    var sentTotal = 0
    /// Replies whose request id was not the oldest outstanding call (the server answers in order, so 0).
    var outOfOrder = 0
    /// Up to a few distinct failure messages, for the report.
    var failureSamples: [String] = []
    /// Why the connection ended early, if it did.
    var error: String?
}

/// Set once by a connection's event loop when the connection is done (its calls answered after the run
/// stopped, or it failed); polled by the main task while draining.
final class DoneFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The main task's handle on one transfer connection: a bare WebSocket channel whose ``TransferSink`` keeps
/// `inFlight` calls outstanding on the event loop until the run stops (see ``TransferSink``).
///
/// The sink's state belongs to the event loop; the main task only polls ``isFinished`` and reaches the sink
/// through the loop (``finish(error:)``, ``stats()``), a handful of times per run.
struct TransferConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<BareWebSocketHandler<TransferSink>>
    private let done: DoneFlag

    /// Connects on `loop`; the first calls go out as soon as the server's `IdentityToken` arrives.
    static func connect(
        url: NetURL,
        token: String,
        pool: CallPool,
        start: Int,
        inFlight: Int,
        control: RunControl,
        on loop: any EventLoop
    ) async throws -> TransferConnection {
        try await BareWebSocket.connect(url: url, token: token, on: loop) { channel in
            let done = DoneFlag()
            let operations = channel.pipeline.syncOperations
            let sink = TransferSink(
                pool: pool,
                start: start,
                inFlight: inFlight,
                control: control,
                done: done,
                wire: try operations.context(handlerType: WebSocketFrameEncoder.self),
                buffer: channel.allocator.buffer(capacity: 128 * inFlight)
            )
            let handler = BareWebSocketHandler(sink: sink)
            try operations.addHandler(handler)
            return TransferConnection(
                channel: channel,
                handler: NIOLoopBound(handler, eventLoop: channel.eventLoop),
                done: done
            )
        }
    }

    /// Whether every call was answered after the run stopped (or the connection ended).
    var isFinished: Bool { done.isSet }

    /// Gives up on the outstanding replies (on the connection's event loop), recording `error` and the
    /// connection's progress unless it already finished.
    func giveUp(error: String) async {
        let handler = handler
        try? await channel.eventLoop.submit { handler.value.sink.gaveUp(error) }.get()
    }

    /// The connection's statistics (complete once it finished).
    func stats() async -> ConnectionStats {
        let handler = handler
        let stats = try? await channel.eventLoop.submit { handler.value.sink.stats }.get()
        return stats ?? ConnectionStats(error: "the connection's event loop is gone: no statistics")
    }
}

/// One transfer connection's side of its ``BareWebSocketHandler``, all on the connection's event loop:
/// parses each reply in place (the server answers a connection's calls in order), records it, appends the
/// next call's pre-encoded frame (``CallPool``) for every reply and, at the end of the read batch, writes
/// and flushes what was appended: a burst of replies becomes one write syscall.
///
/// The initial window (`inFlight` calls) goes out once the server's `IdentityToken` arrived. Once the run
/// is stopping no new calls are sent; the connection is done when the last outstanding one was answered.
struct TransferSink: BareWebSocketSink {
    private let pool: CallPool
    private let start: Int
    private let inFlight: Int
    private let control: RunControl
    private let done: DoneFlag
    /// The context of NIO's `WebSocketFrameEncoder`: writing the pre-encoded frames (bytes) through it
    /// passes them to the handlers before it, skipping the encoder, which would mask a copy of each again.
    private let wire: ChannelHandlerContext
    /// The frames appended since the last flush.
    private var buffer: ByteBuffer

    /// Sequence numbers count this connection's calls: call `s` uses pool entry `(start + s) % pool.count`;
    /// `queued` calls were appended to `buffer`, `sent` written, `answered` answered.
    private var queued = 0
    private var sent = 0
    private var answered = 0
    private var started = false
    private var finished = false
    /// Send time (ns) of call `s` at `s & mask`; the ring holds at least `inFlight` entries.
    private var sendTimes: [UInt64]
    private let mask: Int
    private(set) var stats = ConnectionStats()

    init(
        pool: CallPool,
        start: Int,
        inFlight: Int,
        control: RunControl,
        done: DoneFlag,
        wire: ChannelHandlerContext,
        buffer: ByteBuffer
    ) {
        self.pool = pool
        self.start = start
        self.inFlight = inFlight
        self.control = control
        self.done = done
        self.wire = wire
        self.buffer = buffer
        var ring = 1
        while ring < inFlight { ring <<= 1 }
        self.mask = ring - 1
        self.sendTimes = [UInt64](repeating: 0, count: ring)
    }

    var isClosing: Bool { finished }

    mutating func received(_ message: ByteBuffer) -> String? {
        switch message.withUnsafeReadableBytes({ ReplyParser.parse(raw: $0) }) {
        case .outcome(let requestId, let committed):
            return reply(requestId: requestId, committed: committed, message: message)
        case .identityToken:
            startWindow()
            return nil
        case .other:
            return nil
        case nil:
            let tag = message.getInteger(at: message.readerIndex, as: UInt8.self) ?? 0
            return "the server sent a malformed or truncated message (\(message.readableBytes) bytes, tag \(tag))"
        }
    }

    mutating func readComplete() {
        guard queued > sent else { return }
        guard !finished else {
            buffer.clear()
            queued = sent
            return
        }
        let now = monotonicNanos()
        for s in sent..<queued { sendTimes[s & mask] = now }
        stats.sentTotal += queued - sent
        sent = queued
        wire.writeAndFlush(NIOAny(buffer), promise: nil)
        buffer.clear()  // the write is normally done by now, so this keeps the storage
    }

    mutating func failed(_ text: String) { finish(error: text) }

    /// Ends a connection whose replies did not all arrive in time; the error says how far it got.
    mutating func gaveUp(_ text: String) {
        finish(error: "\(text) (\(answered) of \(sent) calls answered\(started ? "" : ", no IdentityToken"))")
    }

    /// Appends the initial window (`inFlight` calls), unless the run is already stopping.
    private mutating func startWindow() {
        guard !started, !finished else { return }
        started = true
        if control.phase == RunControl.stopping { return finish(error: nil) }
        for _ in 0..<inFlight { enqueueNext() }
    }

    /// Records one reply and appends the next call (or, once the run is stopping, finishes after the last).
    private mutating func reply(requestId: UInt32, committed: Bool, message: ByteBuffer) -> String? {
        guard answered < sent else { return "reply to call \(requestId) that was never sent" }
        let now = monotonicNanos()
        let phase = control.phase
        if UInt32(truncatingIfNeeded: (start + answered) % pool.count) != requestId { stats.outOfOrder += 1 }
        let latency = (now &- sendTimes[answered & mask]) / 1_000
        answered += 1
        stats.repliesTotal += 1
        if phase == RunControl.measuring {
            _ = stats.latency.record(max(1, latency))
            if committed { stats.committed += 1 } else { stats.failed += 1 }
        }
        if !committed { sampleFailure(message) }
        if phase != RunControl.stopping && !finished {
            enqueueNext()
        } else if answered == queued {
            finish(error: nil)
        }
        return nil
    }

    private mutating func enqueueNext() {
        pool.write((start + queued) % pool.count, to: &buffer)
        queued += 1
    }

    private mutating func sampleFailure(_ message: ByteBuffer) {
        guard stats.failureSamples.count < 3,
            let text = message.withUnsafeReadableBytes({ ReplyParser.failureMessage(raw: $0) }),
            !stats.failureSamples.contains(text)
        else { return }
        stats.failureSamples.append(text)
    }

    /// Marks the connection done, recording `error` as the reason unless it already finished.
    private mutating func finish(error: String?) {
        guard !finished else { return }
        if stats.error == nil { stats.error = error }
        finished = true
        done.set()
    }
}
