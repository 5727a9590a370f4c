import Synchronization

/// Counters every subscriber bumps once, read by the main task for progress lines.
final class FanOutProgress: Sendable {
    /// Subscribers whose SubscribeApplied arrived.
    let applied = Atomic<Int>(0)
    /// Subscribers that got a SubscriptionError or whose connection ended early.
    let failed = Atomic<Int>(0)
}

/// What one subscriber connection saw. Its ``FanOutSink`` calls ``received(_:at:cursor:)`` on the event
/// loop for every message; the main task reads ``snapshot`` for the report.
///
/// Per update: the call-log lookup (``FanOutCalls/arrive(from:to:at:cursor:)``) and one uncontended lock here.
final class FanOutSubscriber: Sendable {
    let index: Int
    let query: String
    /// Keep the ids of the initial rows (subscriber 0 of a shared query: the writer draws from them).
    let keepIds: Bool
    private let calls: FanOutCalls
    private let control: RunControl
    private let progress: FanOutProgress

    /// What the subscriber saw so far.
    struct Seen: Sendable {
        var subscribeSent: UInt64 = 0
        var applied: UInt64 = 0
        var rows = 0
        var bytes = 0
        var ids: [UInt64] = []
        var updates = 0
        var updateRows = 0
        /// `transfer` updates that matched no call of the writer.
        var unmatched = 0
        var error: String?
    }

    private let seen = Mutex(Seen())

    init(index: Int, query: String, keepIds: Bool, calls: FanOutCalls, control: RunControl, progress: FanOutProgress) {
        self.index = index
        self.query = query
        self.keepIds = keepIds
        self.calls = calls
        self.control = control
        self.progress = progress
    }

    var snapshot: Seen { seen.withLock { $0 } }

    /// Whether the run is closing its connections (so a connection ending is expected).
    var isClosing: Bool { control.phase >= FanOutRun.closing }

    /// Sends the Subscribe (request id = index + 1) on the connection `fd`, stamping the time.
    func subscribe(fd: Int32) throws(LoadGenError) {
        seen.withLock { $0.subscribeSent = monotonicNanos() }
        let bytes = FanOutParser.subscribe(requestId: UInt32(truncatingIfNeeded: index + 1), query: query)
        try RawWebSocket.writeAll(fd, RawWebSocket.frame(opcode: 0x2, payload: bytes))
    }

    /// One message, read at `nanos`. Runs on the connection's event loop.
    func received(_ message: FanOutMessage, at nanos: UInt64, cursor: inout Int) {
        switch message {
        case .transactionUpdate(let u):
            let matched = !(u.committed && u.isTransfer) || calls.arrive(from: u.from, to: u.to, timestamp: u.timestamp, at: nanos, cursor: &cursor)
            seen.withLock { s in
                s.updates += 1
                s.updateRows += u.rows
                if !matched { s.unmatched += 1 }
            }
        case .subscribeApplied(_, let rows, let bytes, let ids):
            seen.withLock { s in
                s.applied = nanos
                s.rows = rows
                s.bytes = bytes
                s.ids = ids
            }
            progress.applied.add(1, ordering: .relaxed)
        case .subscriptionError(let text):
            failed("SubscriptionError: \(text)")
        case .identityToken, .other:
            break
        }
    }

    /// Records the first failure of this subscriber.
    func failed(_ text: String) {
        let first = seen.withLock { s in
            guard s.error == nil else { return false }
            s.error = text
            return true
        }
        if first { progress.failed.add(1, ordering: .relaxed) }
    }
}

/// A subscriber's side of its ``RawSocketLoop``: parses each message in place, timestamped when the
/// loop read it, and hands it to the ``FanOutSubscriber``.
struct FanOutSink: RawMessageSink {
    let subscriber: FanOutSubscriber
    /// The subscriber's position in the writer's call log (see ``FanOutCalls/arrive(from:to:at:cursor:)``).
    private var cursor = 0

    init(subscriber: FanOutSubscriber) { self.subscriber = subscriber }

    var isClosing: Bool { subscriber.isClosing }

    mutating func received(_ message: UnsafeRawBufferPointer, at nanos: UInt64) -> String? {
        guard let parsed = FanOutParser.parse(raw: message, keepIds: subscriber.keepIds) else {
            return "a malformed message (\(message.count) bytes)"
        }
        subscriber.received(parsed, at: nanos, cursor: &cursor)
        return nil
    }

    func failed(_ text: String) { subscriber.failed(text) }
}
