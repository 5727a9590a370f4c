import Histogram
import StarlingTypes

/// The figures of one `--fanout` run.
struct FanOutResult: Sendable {
    var mode: String
    var query: String
    var subscribers: Int
    var rate: Double
    var connectSeconds = 0.0
    /// From the first Subscribe sent to the last SubscribeApplied received.
    var subscribeSeconds = 0.0
    /// Per subscriber: Subscribe sent → SubscribeApplied received, µs.
    var subscribeLatency = FanOutLatency.histogram()
    var rowsMin = 0
    var rowsMax = 0
    var initialRows = 0
    var initialBytes = 0
    /// How many accounts the writer draws from.
    var writerAccounts = 0
    var latency = FanOutLatency()
    var cost = CostDelta(seconds: 0, serverThreads: [:], selfCPUMicros: 0, selfThreads: [:])
    var server: FanOutMetricsDelta?
    /// TransactionUpdates the subscribers received over the whole run, and the rows they carried.
    var updatesReceived = 0
    var updateRows = 0
    var errors: [String] = []

    init(options o: Options) {
        mode = o.distinct ? "distinct" : "shared"
        query = o.distinct ? "SELECT * FROM account WHERE id = <i>" : o.query
        subscribers = o.subscribers
        rate = o.rate
    }

    var calls: Int { latency.committed + latency.failed }
    var callsPerSecond: Double { cost.seconds > 0 ? Double(calls) / cost.seconds : 0 }

    /// Every measured call answered and delivered to each expected subscriber exactly once; no errors.
    var isClean: Bool {
        errors.isEmpty && latency.unanswered == 0 && latency.incomplete == 0 && latency.unmatched == 0
            && latency.extra == 0 && latency.delivered == latency.expected && latency.committed > 0
    }
}

/// Human-readable lines and the `--json` object of a ``FanOutResult``.
enum FanOutReport {
    static func lines(_ r: FanOutResult) -> [String] {
        let l = r.latency
        let s = r.subscribeLatency
        var out = [
            "== fanout (\(r.mode)): \(r.subscribers) subscribers, query \(r.query), writer \(Report.fixed(r.rate, 0)) calls/s "
                + "over \(r.writerAccounts) accounts, \(Report.fixed(r.cost.seconds, 2)) s measured",
            "connect      \(r.subscribers) connections in \(Report.fixed(r.connectSeconds, 2)) s",
            "subscribe    all \(r.subscribers) applied in \(Report.fixed(r.subscribeSeconds, 2)) s; each: p50 \(s.valueAtPercentile(50)) "
                + "p99 \(s.valueAtPercentile(99)) max \(s.max) us; initial rows per subscriber \(r.rowsMin)"
                + (r.rowsMax != r.rowsMin ? "..\(r.rowsMax)" : "") + " (\(Report.grouped(r.initialRows)) rows, "
                + "\(Report.grouped(r.initialBytes)) row bytes in all)",
            "writer       \(Report.grouped(l.committed)) calls committed, \(l.failed) failed, "
                + "\(Report.fixed(r.callsPerSecond, 1)) calls/s",
            "delivered    \(Report.grouped(l.delivered)) updates to subscribers (expected \(Report.grouped(l.expected)) = "
                + "\(l.committed) calls x \(l.committed > 0 ? Report.fixed(Double(l.expected) / Double(l.committed), 1) : "0")); "
                + "whole run \(Report.grouped(r.updatesReceived)) updates, \(Report.fixed(Double(r.updateRows) / Double(max(1, r.updatesReceived)), 1)) rows each",
            "latency us   " + percentiles("call -> writer's reply", l.writer),
            "             " + percentiles("call -> first subscriber", l.first),
            "             " + percentiles("call -> last subscriber", l.last),
            "             " + percentiles("first delivery -> last subscriber", l.spread),
            "             " + percentiles("transaction timestamp -> last subscriber", l.fromTransaction),
        ]
        let delivered = Double(max(1, l.delivered))
        let calls = Double(max(1, l.committed))
        if let cpu = r.cost.serverCPUMicros {
            let syscalls = r.cost.serverWriteSyscalls.map { ", \(Report.fixed($0 / delivered, 2)) write syscalls per update" } ?? ""
            out.append(
                "server       \(Report.fixed(cpu / delivered, 2)) us CPU per delivered update, \(Report.fixed(cpu / calls, 1)) us "
                    + "per transaction (\(Report.percent(cpu / 1e6 / max(1e-9, r.cost.seconds))) of one core)\(syscalls)")
            out.append("  threads    " + Report.threadLine(r.cost.serverThreads, calls: calls, seconds: r.cost.seconds)
                .replacing("us/call", with: "us/transaction"))
        } else {
            out.append("server       CPU n/a (give --server-pid or use --spawn)")
        }
        if let m = r.server, m.found {
            let mean = m.meanMicros.map { Report.fixed($0, 1) } ?? "n/a"
            let p99 = m.p99UpperBoundMicros.map { $0.isFinite ? "<= \(Report.fixed($0, 0))" : "> 10 s" } ?? "n/a"
            let perUpdate = m.meanMicros.map { Report.fixed($0 * calls / delivered, 3) } ?? "n/a"
            out.append(
                "server fan-out (starling_subscription_fanout_seconds) mean \(mean) us per transaction over "
                    + "\(Report.fixed(m.transactions, 0)) transactions (\(perUpdate) us per delivered update), p99 \(p99) us "
                    + "(bucket bound); live queries \(m.liveQueries.map { Report.fixed($0, 0) } ?? "n/a")")
        } else {
            out.append("server fan-out metric n/a (no starling_subscription_fanout_seconds for this database in /metrics)")
        }
        out.append(
            "load-gen     \(Report.fixed(r.cost.selfCPUMicros / delivered, 2)) us CPU per delivered update "
                + "(\(Report.percent(r.cost.selfCPUMicros / 1e6 / max(1e-9, r.cost.seconds))) of one core)")
        if let share = r.cost.machineBusyShare {
            let others = r.cost.otherProcessesCores.map { ", other processes \(Report.fixed($0, 2)) cores" } ?? ""
            let steal = r.cost.machineStealShare.map { ", hypervisor steal \(Report.percent($0))" } ?? ""
            out.append("machine      \(Report.percent(share)) of all cores busy\(others)\(steal)")
        }
        if !l.failureSamples.isEmpty { out.append("failures     e.g. " + l.failureSamples.joined(separator: " | ")) }
        if l.unanswered > 0 || l.incomplete > 0 || l.unmatched > 0 || l.extra > 0 || l.delivered != l.expected {
            out.append(
                "WARNING      \(l.unanswered) calls unanswered, \(l.incomplete) calls not delivered to every subscriber, "
                    + "\(l.unmatched) updates matched no call, \(l.extra) duplicate deliveries")
        }
        for e in r.errors.prefix(5) { out.append("ERROR        \(e)") }
        if r.errors.count > 5 { out.append("ERROR        ... and \(r.errors.count - 5) more") }
        return out
    }

    static func percentiles(_ label: String, _ h: Histogram<UInt64>) -> String {
        guard h.totalCount > 0 else { return "\(label): none" }
        return "\(label): p50 \(h.valueAtPercentile(50))  p90 \(h.valueAtPercentile(90))  p99 \(h.valueAtPercentile(99))  "
            + "max \(h.max)  mean \(Report.fixed(h.mean, 1))"
    }

    static func json(_ h: Histogram<UInt64>) -> JSONValue {
        guard h.totalCount > 0 else { return .null }
        return [
            "p50": .integer(h.valueAtPercentile(50)), "p90": .integer(h.valueAtPercentile(90)),
            "p99": .integer(h.valueAtPercentile(99)), "max": .integer(h.max), "mean": Report.number(h.mean),
            "count": .integer(h.totalCount),
        ]
    }

    static func json(_ r: FanOutResult) -> JSONValue {
        let l = r.latency
        let delivered = Double(max(1, l.delivered))
        let calls = Double(max(1, l.committed))
        let m = r.server
        return [
            "mode": .string(r.mode), "query": .string(r.query), "subscribers": .integer(r.subscribers),
            "rate": Report.number(r.rate), "seconds": Report.number(r.cost.seconds),
            "writer_accounts": .integer(r.writerAccounts),
            "connect_seconds": Report.number(r.connectSeconds), "subscribe_seconds": Report.number(r.subscribeSeconds),
            "subscribe_latency_us": json(r.subscribeLatency),
            "initial_rows_min": .integer(r.rowsMin), "initial_rows_max": .integer(r.rowsMax),
            "initial_rows_total": .integer(r.initialRows), "initial_row_bytes_total": .integer(r.initialBytes),
            "calls_committed": .integer(l.committed), "calls_failed": .integer(l.failed),
            "calls_per_second": Report.number(r.callsPerSecond), "calls_unanswered": .integer(l.unanswered),
            "updates_delivered": .integer(l.delivered), "updates_expected": .integer(l.expected),
            "calls_incomplete": .integer(l.incomplete), "updates_unmatched": .integer(l.unmatched),
            "updates_duplicate": .integer(l.extra), "updates_received_whole_run": .integer(r.updatesReceived),
            "rows_per_update": Report.number(Double(r.updateRows) / Double(max(1, r.updatesReceived))),
            "call_to_writer_us": json(l.writer), "call_to_first_subscriber_us": json(l.first),
            "call_to_last_subscriber_us": json(l.last), "first_to_last_delivery_us": json(l.spread),
            "transaction_to_last_subscriber_us": json(l.fromTransaction),
            "server_cpu_us_per_delivered_update": r.cost.serverCPUMicros.map { Report.number($0 / delivered) } ?? .null,
            "server_cpu_us_per_transaction": r.cost.serverCPUMicros.map { Report.number($0 / calls) } ?? .null,
            "server_write_syscalls_per_delivered_update": r.cost.serverWriteSyscalls.map { Report.number($0 / delivered) }
                ?? .null,
            "server_threads_us_per_transaction": .object(
                r.cost.serverThreads.filter { $0.value > 0 }.sorted { $0.value > $1.value }.prefix(6).map {
                    (key: $0.key, value: Report.number($0.value / calls))
                }),
            "server_fanout_transactions": m.map { Report.number($0.transactions) } ?? .null,
            "server_fanout_mean_us": m?.meanMicros.map { Report.number($0) } ?? .null,
            "server_fanout_p99_upper_bound_us": m?.p99UpperBoundMicros.map { Report.number($0) } ?? .null,
            "server_live_queries": m?.liveQueries.map { Report.number($0) } ?? .null,
            "loadgen_cpu_us_per_delivered_update": Report.number(r.cost.selfCPUMicros / delivered),
            "loadgen_cpu_share_of_one_core": Report.number(r.cost.selfCPUMicros / 1e6 / max(1e-9, r.cost.seconds)),
            "machine_busy_share": r.cost.machineBusyShare.map { Report.number($0) } ?? .null,
            "machine_steal_share": r.cost.machineStealShare.map { Report.number($0) } ?? .null,
            "errors": .array(r.errors.map { .string($0) }), "clean": .bool(r.isClean),
        ]
    }
}
