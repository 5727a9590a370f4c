import Histogram
import StarlingNetClient
import StarlingTypes
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The writer's calls in send order, and when each one reached the writer and the subscribers.
///
/// The writer has one call outstanding at a time, so call order is commit order, and every subscriber
/// receives the updates of the calls it sees in that order. A subscriber therefore matches an update by
/// scanning forward from just after its previous match for the first call with the same `(from, to)`:
/// with one shared query that is the very next call; with distinct point queries it skips the calls that
/// did not touch the subscriber's row.
final class FanOutCalls: Sendable {
    /// One `transfer(from, to, 1)` call.
    struct Call: Sendable {
        var from: UInt64
        var to: UInt64
        /// When the frame was handed to the client (monotonic ns).
        var sent: UInt64
        /// Sent during the measured window.
        var measured: Bool
        /// How many subscribers should receive its update (if it commits).
        var expected: Int
        /// When the writer got its own TransactionUpdate (0: not yet).
        var replied: UInt64 = 0
        var failed = false
        var arrivals = 0
        var first = UInt64.max
        var last: UInt64 = 0
        /// The transaction's timestamp as the subscribers saw it (µs since the Unix epoch; 0: none yet).
        var timestamp: Int64 = 0
    }

    private struct State: Sendable {
        var calls: [Call] = []
        /// Subscriber updates of a `transfer` that matched no call.
        var unmatched = 0
        /// Updates beyond a call's expected count.
        var extra = 0
        var failureSamples: [String] = []
    }

    private let state = Mutex(State())
    /// `CLOCK_REALTIME − CLOCK_MONOTONIC` in ns when the run started: turns a monotonic arrival time into
    /// the wall clock the server stamps transactions with (the same machine's clock).
    private let realtimeOffset: Int64 = {
        var real = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        let mono = Int64(monotonicNanos())
        return Int64(real.tv_sec) * 1_000_000_000 + Int64(real.tv_nsec) - mono
    }()

    /// Records a call about to be sent; returns its sequence number (the request id is that plus one).
    func append(from: UInt64, to: UInt64, sent: UInt64, measured: Bool, expected: Int) -> Int {
        state.withLock { s in
            s.calls.append(Call(from: from, to: to, sent: sent, measured: measured, expected: expected))
            return s.calls.count - 1
        }
    }

    /// Records the writer's own TransactionUpdate for call `seq`.
    func reply(_ seq: Int, at nanos: UInt64, committed: Bool, failure: String?) {
        state.withLock { s in
            s.calls[seq].replied = nanos
            s.calls[seq].failed = !committed
            if let failure, s.failureSamples.count < 3, !s.failureSamples.contains(failure) {
                s.failureSamples.append(failure)
            }
        }
    }

    /// Records that one subscriber received the update of the transfer `(from, to)`. `cursor` is the
    /// subscriber's position (the call after its previous match); returns false if no call matched.
    func arrive(from: UInt64, to: UInt64, timestamp: Int64, at nanos: UInt64, cursor: inout Int) -> Bool {
        state.withLock { s in
            var i = cursor
            while i < s.calls.count {
                if s.calls[i].from == from && s.calls[i].to == to && !s.calls[i].failed {
                    s.calls[i].arrivals += 1
                    if s.calls[i].arrivals > s.calls[i].expected { s.extra += 1 }
                    if nanos < s.calls[i].first { s.calls[i].first = nanos }
                    if nanos > s.calls[i].last { s.calls[i].last = nanos }
                    s.calls[i].timestamp = timestamp
                    cursor = i + 1
                    return true
                }
                i += 1
            }
            s.unmatched += 1
            return false
        }
    }

    /// Whether every measured call was answered and, if it committed, reached all its subscribers.
    var measuredComplete: Bool {
        state.withLock { s in
            s.calls.allSatisfy { c in !c.measured || (c.replied > 0 && (c.failed || c.arrivals >= c.expected)) }
        }
    }

    /// The figures of the measured calls.
    func summary() -> FanOutLatency {
        state.withLock { s in
            var out = FanOutLatency()
            out.unmatched = s.unmatched
            out.extra = s.extra
            out.failureSamples = s.failureSamples
            for c in s.calls {
                out.deliveredAll += c.arrivals
                guard c.measured else { continue }
                if c.replied == 0 {
                    out.unanswered += 1
                    continue
                }
                if c.failed {
                    out.failed += 1
                    continue
                }
                out.committed += 1
                out.expected += c.expected
                out.delivered += c.arrivals
                _ = out.writer.record(FanOutLatency.micros(c.replied - c.sent))
                if c.arrivals > 0 { _ = out.first.record(FanOutLatency.micros(c.first - c.sent)) }
                if c.arrivals >= c.expected && c.expected > 0 {
                    _ = out.last.record(FanOutLatency.micros(c.last - c.sent))
                    _ = out.spread.record(FanOutLatency.micros(c.last &- min(c.first, c.replied)))
                    let lastWall = Int64(c.last) + realtimeOffset
                    let fromTransaction = lastWall - c.timestamp * 1_000
                    if c.timestamp > 0, fromTransaction > 0 {
                        _ = out.fromTransaction.record(FanOutLatency.micros(UInt64(fromTransaction)))
                    }
                } else {
                    out.incomplete += 1
                }
            }
            return out
        }
    }
}

/// Latency histograms (µs) and delivery counts of the measured calls.
struct FanOutLatency: Sendable {
    static func histogram() -> Histogram<UInt64> { latencyHistogram() }

    static func micros(_ nanos: UInt64) -> UInt64 { max(1, nanos / 1_000) }

    /// Send → the writer's own TransactionUpdate.
    var writer = histogram()
    /// Send → the first subscriber's update.
    var first = histogram()
    /// Send → the last subscriber's update (calls that reached all their subscribers).
    var last = histogram()
    /// The first delivery (writer or subscriber) → the last subscriber's: the fan-out's spread.
    var spread = histogram()
    /// The transaction's own timestamp (the reducer's start, server clock) → the last subscriber's update
    /// (load-generator clock; the same machine): commit-to-delivery plus the reducer's few µs.
    var fromTransaction = histogram()
    var committed = 0
    var failed = 0
    /// Measured calls without a reply by the end of the drain.
    var unanswered = 0
    /// Committed measured calls that did not reach every expected subscriber.
    var incomplete = 0
    /// Subscriber updates of the measured calls, and how many there should be.
    var delivered = 0
    var expected = 0
    /// Subscriber updates of every call (warmup included).
    var deliveredAll = 0
    var unmatched = 0
    var extra = 0
    var failureSamples: [String] = []
}

/// The writer connection: calls `transfer(from, to, 1)` one at a time at `rate` calls per second (never
/// two outstanding; when a call takes longer than the interval the next one goes out at once, without
/// catching up), on pairs drawn by `pick`, until the run stops.
struct FanOutWriter: Sendable {
    let connection: WebSocketConnection
    let calls: FanOutCalls
    let control: RunControl
    let rate: Double
    /// Subscribers that should receive each call's update.
    let expected: Int
    /// The account ids to draw `from` and `to` from (distinct, at least 2).
    let ids: [UInt64]
    let seed: UInt64

    /// Runs until the phase is `stopping`; returns an error text if the connection failed.
    func run() async -> String? {
        var messages = connection.messages.makeAsyncIterator()
        var rng = SplitMix64(seed: seed)
        let interval = UInt64(1e9 / rate)
        var next = monotonicNanos()
        do {
            while true {
                let now = monotonicNanos()
                if next > now { try? await Task.sleep(nanoseconds: next - now) }
                let phase = control.phase
                if phase >= RunControl.stopping { return nil }
                next = max(next + interval, monotonicNanos())
                let a = Int(rng.next(upperBound: UInt64(ids.count)))
                var b = Int(rng.next(upperBound: UInt64(ids.count - 1)))
                if b >= a { b += 1 }
                let (from, to) = (ids[a], ids[b])
                let sent = monotonicNanos()
                let seq = calls.append(
                    from: from, to: to, sent: sent, measured: phase == RunControl.measuring, expected: expected)
                let requestId = UInt32(truncatingIfNeeded: seq + 1)
                try await connection.send(
                    binary: CallPool.encodeTransfer(requestId: requestId, from: from, to: to, amount: 1))
                while true {
                    guard let message = try await messages.next() else {
                        return "the server closed the writer's connection"
                    }
                    guard case .binary(let bytes) = message else { return "a text frame on a BSATN connection" }
                    guard case .transactionUpdate(let u) = try FanOutParser.parse(bytes, keepIds: false),
                        u.requestId == requestId
                    else { continue }
                    let failure = u.committed ? nil : ReplyParser.failureMessage(bytes)
                    calls.reply(seq, at: monotonicNanos(), committed: u.committed, failure: failure)
                    break
                }
            }
        } catch {
            return "writer: \(error)"
        }
    }
}
