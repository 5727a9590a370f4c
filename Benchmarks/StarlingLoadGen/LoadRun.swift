import Histogram
import NIOCore
import StarlingNetClient
import StarlingProtocol

/// The figures of one load run (one configuration of connections × calls in flight).
struct RunResult: Sendable {
    var label: String
    var connections: Int
    var inFlight: Int
    /// The measured window, wall-clock seconds.
    var seconds: Double
    var committed = 0
    var failed = 0
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: 60_000_000,
        numberOfSignificantValueDigits: .three
    )
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
struct LoadRun {
    var label: String
    var setup: BankSetup
    var pool: CallPool
    var connections: Int
    var inFlight: Int
    var warmup: Double
    var duration: Double
    var group: any EventLoopGroup
    var executor: DriverExecutor
    var serverPID: Int32?

    /// How long to wait for outstanding replies after the measured window.
    static let drainTimeout: UInt64 = 10_000_000_000

    func run() async throws -> RunResult {
        let control = RunControl()
        let loops = Array(group.makeIterator())
        let executors = loops.map { LoopTaskExecutor($0) }
        var drivers: [ConnectionDriver] = []
        var preferences: [(any TaskExecutor)?] = []
        let spacing = max(1, pool.count / connections)
        for i in 0..<connections {
            let connection = try await WebSocketClient.connect(
                url: setup.webSocketURL,
                subprotocol: WireFormat.bsatn.subprotocol,
                headers: [("Authorization", "Bearer \(setup.token)")],
                eventLoopGroup: loops[i % loops.count]
            )
            drivers.append(
                ConnectionDriver(
                    connection: connection,
                    pool: pool,
                    start: i * spacing,
                    inFlight: inFlight,
                    control: control
                )
            )
            preferences.append(executor == .loop ? executors[i % executors.count] : nil)
        }
        let window = await withTaskGroup(of: Void.self, returning: CostDelta.self) { tasks in
            for (driver, preference) in zip(drivers, preferences) {
                tasks.addTask(executorPreference: preference) { await driver.runReader() }
                tasks.addTask(executorPreference: preference) { await driver.runSender() }
            }
            let window = await measure(control)
            await drain(drivers)
            await tasks.waitForAll()
            return window
        }
        withExtendedLifetime(executors) {}
        return collect(drivers, window: window)
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
    private func drain(_ drivers: [ConnectionDriver]) async {
        let deadline = monotonicNanos() + Self.drainTimeout
        while !drivers.allSatisfy(\.isFinished), monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for driver in drivers where !driver.isFinished {
            driver.finish(
                error: "replies still outstanding \(Self.drainTimeout / 1_000_000_000) s after the run stopped"
            )
        }
        await withTaskGroup(of: Void.self) { closing in
            for driver in drivers { closing.addTask { await driver.connection.close(timeout: .seconds(2)) } }
        }
    }

    private func collect(_ drivers: [ConnectionDriver], window: CostDelta) -> RunResult {
        var result = RunResult(
            label: label,
            connections: connections,
            inFlight: inFlight,
            seconds: window.seconds,
            cost: window
        )
        for (i, driver) in drivers.enumerated() {
            let s = driver.stats
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
