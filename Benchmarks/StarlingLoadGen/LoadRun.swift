import Histogram
import NIOCore
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
/// Each connection is a ``TransferConnection`` driven entirely on its event loop; connections are spread
/// over the group's loops. The main task only switches the phase, samples costs and waits.
struct LoadRun {
    var label: String
    var setup: BankSetup
    var pool: CallPool
    var connections: Int
    var inFlight: Int
    var warmup: Double
    var duration: Double
    var group: any EventLoopGroup
    var serverPID: Int32?

    /// How long to wait for outstanding replies after the measured window.
    static let drainTimeout: UInt64 = 10_000_000_000

    func run() async throws -> RunResult {
        let control = RunControl()
        let loops = Array(group.makeIterator())
        let url = try NetURL(parsing: setup.webSocketURL)
        let spacing = max(1, pool.count / connections)
        var open: [TransferConnection] = []
        do {
            for i in 0..<connections {
                let connection = try await TransferConnection.connect(
                    url: url,
                    token: setup.token,
                    pool: pool,
                    start: i * spacing,
                    inFlight: inFlight,
                    control: control,
                    on: loops[i % loops.count]
                )
                open.append(connection)
            }
        } catch {
            control.enter(RunControl.stopping)
            await close(open)
            throw error
        }
        let window = await measure(control)
        await drain(open)
        return await collect(open, window: window)
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

    /// Waits until every connection got its outstanding replies (or the timeout passed), then closes them.
    private func drain(_ connections: [TransferConnection]) async {
        let deadline = monotonicNanos() + Self.drainTimeout
        while !connections.allSatisfy(\.isFinished), monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for connection in connections where !connection.isFinished {
            await connection.giveUp(
                error: "replies still outstanding \(Self.drainTimeout / 1_000_000_000) s after the run stopped"
            )
        }
        await close(connections)
    }

    /// Closes every connection (closing handshake, 2 s at most each), all at once.
    private func close(_ connections: [TransferConnection]) async {
        await withTaskGroup(of: Void.self) { closing in
            for connection in connections { closing.addTask { await BareWebSocket.close(connection.channel) } }
        }
    }

    private func collect(_ connections: [TransferConnection], window: CostDelta) async -> RunResult {
        var result = RunResult(
            label: label,
            connections: connections.count,
            inFlight: inFlight,
            seconds: window.seconds,
            cost: window
        )
        for (i, connection) in connections.enumerated() {
            let s = await connection.stats()
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
