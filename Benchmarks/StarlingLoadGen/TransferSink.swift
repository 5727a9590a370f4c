import Histogram
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

/// One transfer connection, served by a ``RawSocketLoop``: parses each reply in place (the server answers a
/// connection's calls in order), records it, appends the next call's pre-encoded frame (``CallPool``) for
/// every reply and, once the bytes of the `read` are handled, writes what was appended: a burst of replies
/// becomes one write syscall.
///
/// The initial window (`inFlight` calls) goes out once the server's `IdentityToken` arrived. Once the run
/// is stopping no new calls are sent; the connection is done when the last outstanding one was answered.
struct TransferSink: RawMessageSink {
    private let pool: CallPool
    private let start: Int
    private let inFlight: Int
    private let control: RunControl
    let done: DoneFlag
    /// The frames appended since the last write.
    private var buffer: [UInt8] = []

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
        done: DoneFlag
    ) {
        self.pool = pool
        self.start = start
        self.inFlight = inFlight
        self.control = control
        self.done = done
        buffer.reserveCapacity(128 * inFlight)
        var ring = 1
        while ring < inFlight { ring <<= 1 }
        self.mask = ring - 1
        self.sendTimes = [UInt64](repeating: 0, count: ring)
    }

    var isClosing: Bool { finished }

    mutating func received(_ message: UnsafeRawBufferPointer, at nanos: UInt64) -> String? {
        switch ReplyParser.parse(raw: message) {
        case .outcome(let requestId, let committed):
            return reply(requestId: requestId, committed: committed, message: message, at: nanos)
        case .identityToken:
            startWindow()
            return nil
        case .other:
            return nil
        case nil:
            let tag = message.first ?? 0
            return "the server sent a malformed or truncated message (\(message.count) bytes, tag \(tag))"
        }
    }

    mutating func readComplete(fd: Int32) -> String? {
        guard queued > sent else { return nil }
        guard !finished else {
            buffer.removeAll(keepingCapacity: true)
            queued = sent
            return nil
        }
        let now = monotonicNanos()
        for s in sent..<queued { sendTimes[s & mask] = now }
        stats.sentTotal += queued - sent
        sent = queued
        defer { buffer.removeAll(keepingCapacity: true) }
        do throws(LoadGenError) { try RawWebSocket.writeAll(fd, buffer) } catch { return error.message }
        return nil
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
    private mutating func reply(requestId: UInt32, committed: Bool, message: UnsafeRawBufferPointer, at now: UInt64) -> String? {
        guard answered < sent else { return "reply to call \(requestId) that was never sent" }
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

    private mutating func sampleFailure(_ message: UnsafeRawBufferPointer) {
        guard stats.failureSamples.count < 3,
            let text = ReplyParser.failureMessage(raw: message),
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
