import CoreMetrics
import Foundation
import Metrics
import Prometheus
import StarlingDatabase
import StarlingDurability
import StarlingModuleHost
import StarlingRuntime
import StarlingStore
import Synchronization

/// The process's Prometheus registry; swift-metrics is bootstrapped onto it once per process.
enum ServerMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Fan-out and reducer times live in microseconds to milliseconds: the default buckets start at 5 ms.
        let fine: [Duration] = [
            .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
            .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        factory.durationHistogramBuckets["starling_subscription_fanout_seconds"] = fine
        factory.durationHistogramBuckets["starling_reducer_duration_seconds"] = fine
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Every metric in the Prometheus text format.
    static func render() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}

/// The metrics of one database (labelled `database`).
final class DatabaseMetrics: Sendable {
    let committed: Metrics.Counter
    let failed: Metrics.Counter
    let duration: Metrics.Timer
    let clients: Metrics.Gauge
    let subscriptions: Metrics.Gauge
    /// Distinct queries maintained (equal queries of many clients count once).
    let liveQueries: Metrics.Gauge
    /// From a commit to every subscriber's update queued: evaluation and encoding.
    let fanOut: Metrics.Timer
    let memory: Metrics.Gauge
    /// Commitlog writes: bytes, fsyncs and the time fsyncs took (rate(seconds) / rate(fsyncs) is
    /// the mean fsync latency).
    let logBytes: Metrics.Counter
    let logFsyncs: Metrics.Counter
    let logFsyncNanos: Metrics.Counter
    private let logSeen = Mutex<(bytes: Int, syncs: Int, nanos: Int)>((0, 0, 0))
    private let database: String
    private let tableGauges = Mutex<[String: Metrics.Gauge]>([:])
    private let lastRefresh = Mutex<ContinuousClock.Instant?>(nil)

    init(database: String) {
        _ = ServerMetrics.registry
        self.database = database
        let d = [("database", database)]
        committed = Metrics.Counter(label: "starling_transactions_committed_total", dimensions: d)
        failed = Metrics.Counter(label: "starling_reducer_failures_total", dimensions: d)
        duration = Metrics.Timer(label: "starling_reducer_duration_seconds", dimensions: d)
        clients = Metrics.Gauge(label: "starling_connected_clients", dimensions: d)
        subscriptions = Metrics.Gauge(label: "starling_subscriptions", dimensions: d)
        liveQueries = Metrics.Gauge(label: "starling_live_queries", dimensions: d)
        fanOut = Metrics.Timer(label: "starling_subscription_fanout_seconds", dimensions: d)
        memory = Metrics.Gauge(label: "starling_table_memory_bytes_total", dimensions: d)
        logBytes = Metrics.Counter(label: "starling_commitlog_bytes_total", dimensions: d)
        logFsyncs = Metrics.Counter(label: "starling_commitlog_fsyncs_total", dimensions: d)
        logFsyncNanos = Metrics.Counter(label: "starling_commitlog_fsync_nanoseconds_total", dimensions: d)
    }

    /// Counts one reducer call (committed or failed) and its latency.
    func recordCall(_ r: CallResult) {
        if r.outcome.isSuccess { committed.increment() } else { failed.increment() }
        duration.recordNanoseconds(r.duration.wholeNanoseconds)
    }

    /// Updates the memory gauges and commitlog counters, at most once a second (worker thread).
    func refresh(_ db: ModuleDatabase) {
        let now = ContinuousClock.now
        let due = lastRefresh.withLock { last in
            if let l = last, now - l < .seconds(1) { return false }
            last = now
            return true
        }
        guard due else { return }
        var total = 0
        for (name, bytes) in db.store.tableBytes {
            total += bytes
            let gauge = tableGauges.withLock { g in
                if let x = g[name] { return x }
                let x = Metrics.Gauge(label: "starling_table_memory_bytes", dimensions: [("database", database), ("table", name)])
                g[name] = x
                return x
            }
            gauge.record(bytes)
        }
        memory.record(total)
        if let stats = db.database.log?.statistics {
            let now = (
                stats.bytesWritten.load(ordering: .relaxed), stats.syncs.load(ordering: .relaxed),
                stats.syncNanoseconds.load(ordering: .relaxed)
            )
            let before = logSeen.withLock { seen in
                defer { seen = now }
                return seen
            }
            logBytes.increment(by: Int64(now.0 - before.bytes))
            logFsyncs.increment(by: Int64(now.1 - before.syncs))
            logFsyncNanos.increment(by: Int64(now.2 - before.nanos))
        }
    }
}
