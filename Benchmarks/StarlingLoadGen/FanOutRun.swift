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
/// Subscriber connections are plain sockets (``RawWebSocket``) read by `--client-threads` epoll threads
/// (``RawSocketLoop``), whose ``FanOutSink`` parses each update in place, timestamped when it was read:
/// no channel pipeline, Swift task or buffer allocation per message, so the load generator's own CPU per
/// update (it shares the cores with the server) stays small. The writer is an ordinary
/// `WebSocketConnection` driven by one task on an event loop thread of its own. Server CPU comes from
/// `/proc` over the measured window, the server's own fan-out time from `/metrics` before and after it.
struct FanOutRun {
    /// The phase after `stopping`: connections are being closed, so a stream ending is expected.
    static let closing = 3
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
        let loops = try connectAll(subscribers)
        result.connectSeconds = seconds(since: t)
        for loop in loops { loop.start() }
        do {
            let writerConnection = try await WebSocketClient.connect(
                url: setup.webSocketURL,
                subprotocol: WireFormat.bsatn.subprotocol,
                headers: [("Authorization", "Bearer \(setup.token)")],
                timeout: .seconds(30),
                eventLoopGroup: writerLoop
            )
            t = monotonicNanos()
            for (i, s) in subscribers.enumerated() { try s.subscribe(fd: loops[i % loops.count].descriptors[i / loops.count]) }
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
            await RawSocketLoop.closeAll(loops)
            throw error
        }
        await RawSocketLoop.closeAll(loops)
        collect(subscribers, calls, into: &result)
        return result
    }

    /// Opens one connection per subscriber (blocking handshakes, one after another: ~0.1 ms each on
    /// loopback), subscriber `i` on reader `i % readers`; prints progress.
    private func connectAll(_ subscribers: [FanOutSubscriber]) throws -> [RawSocketLoop<FanOutSink>] {
        let n = subscribers.count
        let url = try NetURL(parsing: setup.webSocketURL)
        let loops = try (0..<max(1, options.clientThreads)).map { _ throws(LoadGenError) in try RawSocketLoop<FanOutSink>() }
        let step = Self.progressStep(n)
        let start = monotonicNanos()
        for (i, subscriber) in subscribers.enumerated() {
            let opened = try RawWebSocket.connect(url: url, token: setup.token)
            try loops[i % loops.count].add(opened, sink: FanOutSink(subscriber: subscriber))
            if (i + 1) % step == 0 || i + 1 == n {
                say("connected    \(i + 1)/\(n) (\(Report.fixed(seconds(since: start), 2)) s)")
            }
        }
        return loops
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
