import Histogram
import StarlingNetClient
import Synchronization

/// The phase of a load run, shared by the main task and every connection (read once per reply).
final class RunControl: Sendable {
    static let warmup = 0
    static let measuring = 1
    static let stopping = 2

    private let value = Atomic<Int>(RunControl.warmup)

    var phase: Int { value.load(ordering: .relaxed) }
    func enter(_ phase: Int) { value.store(phase, ordering: .relaxed) }
}

/// What one connection measured during the measured window.
struct ConnectionStats: Sendable {
    /// Send-to-reply latency of each call answered during the measured window, in microseconds.
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: 60_000_000,
        numberOfSignificantValueDigits: .three
    )
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

/// Drives one WebSocket connection: keeps `inFlight` calls outstanding, sending a new call as each reply
/// arrives, until the run stops; then waits for the outstanding replies.
///
/// Two tasks share the state under one (uncontended) mutex: the *reader* consumes `messages`, records each
/// reply and queues the next call; the *sender* hands everything queued to `send(frames:)` in one batch (one
/// event-loop hop, one flush). While a send is in progress the reader keeps queueing, so a burst of replies
/// becomes one write. The initial window goes out as one batch once the server's `IdentityToken` arrived.
final class ConnectionDriver: Sendable {
    let connection: WebSocketConnection
    private let pool: CallPool
    private let control: RunControl
    private let state: Mutex<State>

    /// Mutable per-connection state. Sequence numbers count calls of this connection: call `s` uses pool
    /// entry `(start + s) % pool.count`; `queued` calls were queued, `sent` handed to the socket, `done` answered.
    private struct State: ~Copyable {
        var queued = 0
        var sent = 0
        var done = 0
        var started = false
        var finished = false
        var outbox: [WebSocketMessage] = []
        var sender: CheckedContinuation<[WebSocketMessage]?, Never>?
        /// Send time (ns) of call `s` at `s & mask`; the ring holds at least `inFlight` entries.
        var sendTimes: [UInt64]
        var stats = ConnectionStats()
    }

    private let start: Int
    private let inFlight: Int
    private let mask: Int

    init(connection: WebSocketConnection, pool: CallPool, start: Int, inFlight: Int, control: RunControl) {
        self.connection = connection
        self.pool = pool
        self.start = start
        self.inFlight = inFlight
        self.control = control
        var ring = 1
        while ring < inFlight { ring <<= 1 }
        self.mask = ring - 1
        self.state = Mutex(State(sendTimes: [UInt64](repeating: 0, count: ring)))
    }

    /// The statistics so far (complete once ``runReader()`` returned).
    var stats: ConnectionStats { state.withLock { $0.stats } }

    /// Whether every queued call was answered after the run stopped (or the connection ended).
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Consumes the connection's messages until the run stopped and all calls were answered, or the
    /// connection ended.
    func runReader() async {
        do {
            for try await message in connection.messages {
                guard case .binary(let bytes) = message else {
                    throw LoadGenError("the server sent a text frame on a BSATN connection")
                }
                switch try ReplyParser.parse(bytes) {
                case .identityToken: wake(startWindow())
                case .outcome(let requestId, let committed):
                    let (waiter, batch, done) = receive(requestId: requestId, committed: committed, bytes: bytes)
                    waiter?.resume(returning: batch)
                    if done { return }
                case .other: continue
                }
            }
            finish(error: "the server closed the connection")
        } catch {
            finish(error: "\(error)")
        }
    }

    /// Sends what the reader queued, one batch per `send(frames:)`, until the reader finished.
    func runSender() async {
        while let batch = await nextBatch() {
            do {
                try await connection.send(frames: batch)
            } catch {
                finish(error: "send failed: \(error)")
                return
            }
        }
    }

    /// Queues the initial window (`inFlight` calls).
    private func startWindow() -> (CheckedContinuation<[WebSocketMessage]?, Never>?, [WebSocketMessage]) {
        state.withLock { s in
            guard !s.started, control.phase != RunControl.stopping else { return (nil, []) }
            s.started = true
            for _ in 0..<inFlight { enqueueNext(&s) }
            return takeWaiter(&s)
        }
    }

    /// Records one reply and queues the next call. Returns the sender to wake (with its batch) and whether
    /// the connection is done.
    private func receive(
        requestId: UInt32,
        committed: Bool,
        bytes: [UInt8]
    ) -> (CheckedContinuation<[WebSocketMessage]?, Never>?, [WebSocketMessage], Bool) {
        let now = monotonicNanos()
        let phase = control.phase
        return state.withLock { s in
            guard s.done < s.sent else {
                s.stats.error = "reply to call \(requestId) that was never sent"
                s.finished = true
                return (s.sender.take(), [], true)
            }
            if UInt32(truncatingIfNeeded: (start + s.done) % pool.count) != requestId { s.stats.outOfOrder += 1 }
            let latency = (now &- s.sendTimes[s.done & mask]) / 1_000
            s.done += 1
            s.stats.repliesTotal += 1
            if phase == RunControl.measuring {
                _ = s.stats.latency.record(max(1, latency))
                if committed { s.stats.committed += 1 } else { s.stats.failed += 1 }
            }
            if !committed && s.stats.failureSamples.count < 3, let text = ReplyParser.failureMessage(bytes),
                !s.stats.failureSamples.contains(text)
            {
                s.stats.failureSamples.append(text)
            }
            if phase != RunControl.stopping {
                enqueueNext(&s)
            } else if s.done == s.queued {
                s.finished = true
                return (s.sender.take(), [], true)
            }
            let (waiter, batch) = takeWaiter(&s)
            return (waiter, batch, false)
        }
    }

    private func enqueueNext(_ s: inout State) {
        s.outbox.append(pool.frames[(start + s.queued) % pool.count])
        s.queued += 1
    }

    /// If the sender is waiting, hands it the whole outbox, stamping the send time of those calls.
    private func takeWaiter(_ s: inout State) -> (CheckedContinuation<[WebSocketMessage]?, Never>?, [WebSocketMessage])
    {
        guard !s.outbox.isEmpty, let waiter = s.sender.take() else { return (nil, []) }
        return (waiter, takeOutbox(&s))
    }

    private func takeOutbox(_ s: inout State) -> [WebSocketMessage] {
        let now = monotonicNanos()
        let batch = s.outbox
        s.outbox = []
        s.outbox.reserveCapacity(inFlight)
        for _ in batch {
            s.sendTimes[s.sent & mask] = now
            s.sent += 1
        }
        s.stats.sentTotal += batch.count
        return batch
    }

    /// The next batch to send; nil once the connection is finished.
    private func nextBatch() async -> [WebSocketMessage]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[WebSocketMessage]?, Never>) in
            let batch: [WebSocketMessage]?? = state.withLock { s in
                if s.finished { return .some(nil) }
                if !s.outbox.isEmpty { return .some(takeOutbox(&s)) }
                s.sender = continuation
                return .none
            }
            if let batch { continuation.resume(returning: batch) }
        }
    }

    private func wake(_ pair: (CheckedContinuation<[WebSocketMessage]?, Never>?, [WebSocketMessage])) {
        pair.0?.resume(returning: pair.1)
    }

    /// Ends the connection's work: records `error` (if none was recorded) and releases a waiting sender.
    func finish(error: String?) {
        let waiter = state.withLock { s in
            if s.stats.error == nil, !s.finished { s.stats.error = error }
            s.finished = true
            return s.sender.take()
        }
        waiter?.resume(returning: nil)
    }
}
