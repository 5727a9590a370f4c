import Histogram
import StarlingNetClient

/// The figures of one load run (one configuration of connections × calls in flight).
struct RunResult: Sendable {
    var label: String
    var connections: Int
    var inFlight: Int
    /// The measured window, wall-clock seconds.
    var seconds: Double
    var committed = 0
    var failed = 0
    var latency = latencyHistogram()
    var cost: CostDelta
    var sentTotal = 0
    var repliesTotal = 0
    var outOfOrder = 0
    var errors: [String] = []
    var failureSamples: [String] = []

    var calls: Int { committed + failed }
    /// Calls answered per second in the measured window (committed and failed alike).
    var callsPerSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }
    /// Every call sent got exactly one reply and no connection failed.
    var isClean: Bool { errors.isEmpty && outOfOrder == 0 && sentTotal == repliesTotal }
}

/// Runs connections against the bank database: connect, warm up, measure, stop, drain, close.
///
/// Each connection is a ``TransferSink`` on a ``RawSocketLoop`` (one per `--client-threads`), connections
/// spread over the loops; the main task only switches the phase, samples costs and waits.
struct LoadRun {
    var label: String
    var setup: BankSetup
    var pool: CallPool
    var connections: Int
    var inFlight: Int
    var warmup: Double
    var duration: Double
    var clientThreads: Int
    var serverPID: Int32?

    /// How long to wait for outstanding replies after the measured window.
    static let drainTimeout: UInt64 = 10_000_000_000

    func run() async throws -> RunResult {
        let control = RunControl()
        let url = try NetURL(parsing: setup.webSocketURL)
        let spacing = max(1, pool.count / connections)
        let loops = try (0..<max(1, min(clientThreads, connections))).map { _ throws(LoadGenError) in
            try RawSocketLoop<TransferSink>()
        }
        var done: [DoneFlag] = []
        do {
            for i in 0..<connections {
                let opened = try RawWebSocket.connect(url: url, token: setup.token)
                let flag = DoneFlag()
                let sink = TransferSink(pool: pool, start: i * spacing, inFlight: inFlight, control: control, done: flag)
                try loops[i % loops.count].add(opened, sink: sink)
                done.append(flag)
            }
        } catch {
            for loop in loops { loop.stop() }
            throw error
        }
        for loop in loops { loop.start() }
        let window = await measure(control)
        await drain(loops, done)
        return collect(loops, window: window)
    }

    /// Warmup, then the measured window between two cost samples.
    private func measure(_ control: RunControl) async -> CostDelta {
        if warmup > 0 { try? await Task.sleep(for: .seconds(warmup)) }
        let before = CostSample.take(serverPID: serverPID)
        control.enter(RunControl.measuring)
        try? await Task.sleep(for: .seconds(duration))
        control.enter(RunControl.stopping)
        let after = CostSample.take(serverPID: serverPID)
        return before.delta(to: after)
    }

    /// Waits until every connection got its outstanding replies (or the timeout passed), closes them, and
    /// records the connections that were still waiting.
    private func drain(_ loops: [RawSocketLoop<TransferSink>], _ done: [DoneFlag]) async {
        let deadline = monotonicNanos() + Self.drainTimeout
        while !done.allSatisfy(\.isSet), monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let late = !done.allSatisfy(\.isSet)
        await RawSocketLoop.closeAll(loops)
        guard late else { return }
        for loop in loops {
            loop.withSinks { sink in
                if !sink.done.isSet {
                    sink.gaveUp("replies still outstanding \(Self.drainTimeout / 1_000_000_000) s after the run stopped")
                }
            }
        }
    }

    private func collect(_ loops: [RawSocketLoop<TransferSink>], window: CostDelta) -> RunResult {
        var result = RunResult(
            label: label,
            connections: connections,
            inFlight: inFlight,
            seconds: window.seconds,
            cost: window
        )
        var all: [(Int, ConnectionStats)] = []
        for (l, loop) in loops.enumerated() {
            var k = 0
            loop.withSinks { sink in
                all.append((l + k * loops.count, sink.stats))
                k += 1
            }
        }
        for (i, s) in all.sorted(by: { $0.0 < $1.0 }) {
            result.committed += s.committed
            result.failed += s.failed
            result.latency.add(s.latency)
            result.sentTotal += s.sentTotal
            result.repliesTotal += s.repliesTotal
            result.outOfOrder += s.outOfOrder
            if let error = s.error { result.errors.append("connection \(i): \(error)") }
            for sample in s.failureSamples
            where result.failureSamples.count < 5 && !result.failureSamples.contains(sample) {
                result.failureSamples.append(sample)
            }
        }
        return result
    }
}
