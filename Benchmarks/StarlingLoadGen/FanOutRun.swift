import Histogram
import NIOCore
import NIOPosix
import StarlingNetClient
import StarlingProtocol
import Synchronization

/// `--fanout`: N subscriber connections subscribe (one shared query, or with `--distinct` one point query
/// each), then one writer connection calls `transfer(from, to, 1)` on rows inside the subscriptions, one
/// call at a time at `--rate`, and every call's update is timed from the send to the writer's own reply and
/// to the first and the last subscriber that received it.
///
/// Subscriber connections are bare NIO channels (``BareWebSocket``) whose ``FanOutSink`` parses each update
/// in place on the event loop that read it, timestamped there: no Swift task or async stream per message.
/// The writer is an ordinary `WebSocketConnection` driven by one task on an event loop thread of its own. Server CPU comes from `/proc` over the measured window, the server's own fan-out
/// time from `/metrics` before and after it.
struct FanOutRun {
    /// The phase after `stopping`: connections are being closed, so a stream ending is expected.
    static let closing = 3
    /// Concurrent connection handshakes while connecting.
    static let connectWindow = 32
    /// How long to wait for every subscriber's SubscribeApplied.
    static let subscribeTimeout: UInt64 = 600_000_000_000
    /// How long to wait, after the writer stopped, for the measured calls to reach every subscriber.
    static let drainTimeout: UInt64 = 30_000_000_000

    let options: Options
    let setup: BankSetup
    let group: MultiThreadedEventLoopGroup
    let serverPID: Int32?

    /// The query of subscriber `i`.
    func query(_ i: Int) -> String {
        options.distinct ? "SELECT * FROM account WHERE id = \(i)" : options.query
    }

    func run() async throws -> FanOutResult {
        let n = options.subscribers
        let loops = Array(group.makeIterator())
        // The writer gets a loop of its own, so its reply is not queued behind the subscribers' reads.
        let writerGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let writerLoop = writerGroup.next()
        let executor = LoopTaskExecutor(writerLoop)
        defer {
            withExtendedLifetime(executor) {}
            writerGroup.shutdownGracefully { _ in }
        }
        var result = FanOutResult(options: options)
        let control = RunControl()
        let calls = FanOutCalls()
        let progress = FanOutProgress()
        let subscribers = (0..<n).map { i in
            FanOutSubscriber(
                index: i, query: query(i), keepIds: !options.distinct && i == 0, calls: calls, control: control,
                progress: progress)
        }

        var t = monotonicNanos()
        let channels = try await connectAll(subscribers, loops: loops)
        result.connectSeconds = seconds(since: t)
        do {
            let writerConnection = try await WebSocketClient.connect(
                url: setup.webSocketURL,
                subprotocol: WireFormat.bsatn.subprotocol,
                headers: [("Authorization", "Bearer \(setup.token)")],
                timeout: .seconds(30),
                eventLoopGroup: writerLoop
            )
            t = monotonicNanos()
            for (s, channel) in zip(subscribers, channels) { try await s.subscribe(on: channel) }
            try await waitApplied(progress, subscribers, since: t)
            result.subscribeSeconds = seconds(since: t)
            let (ids, expected) = try writerAccounts(subscribers)
            result.writerAccounts = ids.count
            let writer = FanOutWriter(
                connection: writerConnection, calls: calls, control: control, rate: options.rate,
                expected: expected, ids: ids, seed: options.seed)
            let writerTask = Task(executorPreference: executor) { await writer.run() }
            if options.warmup > 0 { try? await Task.sleep(for: .seconds(options.warmup)) }
            let metricsBefore = await FanOutMetrics.fetch(baseURL: setup.baseURL, database: setup.database, group: group)
            let before = CostSample.take(serverPID: serverPID)
            control.enter(RunControl.measuring)
            try? await Task.sleep(for: .seconds(options.duration))
            control.enter(RunControl.stopping)
            let after = CostSample.take(serverPID: serverPID)
            result.cost = before.delta(to: after)
            if let error = await writerTask.value { result.errors.append(error) }
            let deadline = monotonicNanos() + Self.drainTimeout
            while !calls.measuredComplete, monotonicNanos() < deadline, progress.failed.load(ordering: .relaxed) == 0 {
                try? await Task.sleep(for: .milliseconds(10))
            }
            let metricsAfter = await FanOutMetrics.fetch(baseURL: setup.baseURL, database: setup.database, group: group)
            if let metricsBefore, let metricsAfter { result.server = metricsBefore.delta(to: metricsAfter) }
            control.enter(Self.closing)
            await writerConnection.close(timeout: .seconds(2))
        } catch {
            control.enter(Self.closing)
            await closeAll(channels)
            throw error
        }
        await closeAll(channels)
        collect(subscribers, calls, into: &result)
        return result
    }

    /// Opens one connection per subscriber, `connectWindow` handshakes at a time, spread over the loops;
    /// prints progress.
    private func connectAll(_ subscribers: [FanOutSubscriber], loops: [any EventLoop]) async throws -> [any Channel] {
        let n = subscribers.count
        let url = try NetURL(parsing: setup.webSocketURL)
        let token = setup.token
        var channels = [(any Channel)?](repeating: nil, count: n)
        let step = Self.progressStep(n)
        let start = monotonicNanos()
        try await withThrowingTaskGroup(of: (Int, any Channel).self) { group in
            var next = 0
            var done = 0
            func open(_ i: Int) -> @Sendable () async throws -> (Int, any Channel) {
                let subscriber = subscribers[i]
                let loop = loops[i % loops.count]
                return {
                    let channel = try await BareWebSocket.connect(url: url, token: token, on: loop) { channel in
                        try channel.pipeline.syncOperations.addHandler(
                            BareWebSocketHandler(sink: FanOutSink(subscriber: subscriber)))
                        return channel
                    }
                    return (i, channel)
                }
            }
            while next < min(Self.connectWindow, n) {
                group.addTask(operation: open(next))
                next += 1
            }
            while let (i, channel) = try await group.next() {
                channels[i] = channel
                done += 1
                if done % step == 0 || done == n {
                    say("connected    \(done)/\(n) (\(Report.fixed(seconds(since: start), 2)) s)")
                }
                if next < n {
                    group.addTask(operation: open(next))
                    next += 1
                }
            }
        }
        return channels.map { $0! }
    }

    /// Waits until every subscriber's SubscribeApplied arrived (progress lines as they do).
    private func waitApplied(_ progress: FanOutProgress, _ subscribers: [FanOutSubscriber], since start: UInt64) async throws {
        let n = subscribers.count
        let step = Self.progressStep(n)
        var shown = 0
        while true {
            let applied = progress.applied.load(ordering: .relaxed)
            let failed = progress.failed.load(ordering: .relaxed)
            if applied / step > shown / step || (applied == n && shown != n) {
                say("subscribed   \(applied)/\(n) (\(Report.fixed(seconds(since: start), 2)) s)")
                shown = applied
            }
            if applied == n { return }
            if failed > 0 {
                let first = subscribers.lazy.compactMap { $0.snapshot.error }.first ?? "unknown"
                throw LoadGenError("\(failed) subscriber(s) failed while subscribing, e.g.: \(first)")
            }
            if monotonicNanos() - start > Self.subscribeTimeout {
                throw LoadGenError("only \(applied) of \(n) subscriptions applied after \(Self.subscribeTimeout / 1_000_000_000) s")
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The accounts the writer transfers between, and how many subscribers each call should reach.
    private func writerAccounts(_ subscribers: [FanOutSubscriber]) throws(LoadGenError) -> ([UInt64], Int) {
        if options.distinct { return ((0..<UInt64(subscribers.count)).map { $0 }, 2) }
        let ids = Array(Set(subscribers[0].snapshot.ids)).sorted()
        guard ids.count >= 2 else {
            throw LoadGenError(
                "the query `\(options.query)` gave \(ids.count) row(s): the writer needs at least 2 accounts inside it")
        }
        return (ids, subscribers.count)
    }

    /// Closes every subscriber connection (closing handshake, 2 s at most each), all at once.
    private func closeAll(_ channels: [any Channel]) async {
        await withTaskGroup(of: Void.self) { closing in
            for channel in channels { closing.addTask { await BareWebSocket.close(channel) } }
        }
    }

    private func collect(_ subscribers: [FanOutSubscriber], _ calls: FanOutCalls, into r: inout FanOutResult) {
        r.latency = calls.summary()
        r.rowsMin = Int.max
        for s in subscribers {
            let seen = s.snapshot
            r.rowsMin = min(r.rowsMin, seen.rows)
            r.rowsMax = max(r.rowsMax, seen.rows)
            r.initialRows += seen.rows
            r.initialBytes += seen.bytes
            r.updatesReceived += seen.updates
            r.updateRows += seen.updateRows
            if seen.applied > seen.subscribeSent {
                _ = r.subscribeLatency.record(FanOutLatency.micros(seen.applied - seen.subscribeSent))
            }
            if let error = seen.error { r.errors.append("subscriber \(s.index): \(error)") }
        }
        if subscribers.isEmpty { r.rowsMin = 0 }
    }

    /// Progress every quarter of `n` (at least every connection for tiny runs).
    static func progressStep(_ n: Int) -> Int { max(1, n / 4) }

    private func seconds(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }
}
