import NIOCore
import StarlingNetClient

/// The server's own fan-out figures for one database, read from `GET /metrics` (Prometheus text):
/// the `starling_subscription_fanout_seconds` histogram (a swift-metrics Timer: from the commit to every
/// subscriber's update queued, recorded once per transaction that changed at least one query) and the
/// `starling_live_queries` gauge.
struct FanOutMetrics: Sendable {
    var sumSeconds = 0.0
    var count = 0.0
    /// Cumulative bucket counts by upper bound (seconds), ascending; `+Inf` last.
    var buckets: [(le: Double, count: Double)] = []
    var liveQueries: Double?
    /// Whether the histogram was found at all.
    var found = false

    static let histogram = "starling_subscription_fanout_seconds"

    /// Fetches and parses `/metrics`; nil (with a printed note) if the server does not answer.
    static func fetch(baseURL: String, database: String, group: any EventLoopGroup) async -> FanOutMetrics? {
        do {
            let response = try await HTTPClient.request("GET", url: baseURL + "/metrics", eventLoopGroup: group)
            guard response.isSuccess else { return nil }
            return parse(response.text, database: database)
        } catch {
            return nil
        }
    }

    /// Reads the lines of `database`'s series.
    static func parse(_ text: String, database: String) -> FanOutMetrics {
        var m = FanOutMetrics()
        let label = "database=\"\(database)\""
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.contains(label) {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let name = line.prefix { $0 != "{" && $0 != " " }
            switch name {
            case histogram + "_sum":
                m.sumSeconds = value
                m.found = true
            case histogram + "_count": m.count = value
            case histogram + "_bucket":
                guard let r = line.firstRange(of: "le=\"") else { continue }
                let bound = line[r.upperBound...].prefix { $0 != "\"" }
                let le = bound == "+Inf" ? Double.infinity : Double(bound) ?? .nan
                if !le.isNaN { m.buckets.append((le, value)) }
            case "starling_live_queries": m.liveQueries = value
            default: continue
            }
        }
        m.buckets.sort { $0.le < $1.le }
        return m
    }

    /// What happened between `self` and `later`.
    func delta(to later: FanOutMetrics) -> FanOutMetricsDelta {
        var buckets: [(le: Double, count: Double)] = []
        for b in later.buckets {
            let before = self.buckets.first { $0.le == b.le }?.count ?? 0
            buckets.append((b.le, b.count - before))
        }
        return FanOutMetricsDelta(
            found: later.found,
            transactions: later.count - count,
            seconds: later.sumSeconds - sumSeconds,
            buckets: buckets,
            liveQueries: later.liveQueries
        )
    }
}

/// The server's fan-out histogram over the measured window.
struct FanOutMetricsDelta: Sendable {
    var found: Bool
    /// Transactions whose fan-out was timed.
    var transactions: Double
    /// Their summed fan-out time.
    var seconds: Double
    var buckets: [(le: Double, count: Double)]
    var liveQueries: Double?

    /// Mean fan-out time per transaction, µs.
    var meanMicros: Double? { transactions > 0 ? seconds / transactions * 1e6 : nil }

    /// The upper bound (µs) of the bucket holding the 99th percentile: "p99 ≤ this". The buckets are the
    /// swift-prometheus defaults (5 ms, 10 ms, 25 ms ...), so sub-5 ms fan-outs all read "≤ 5000".
    var p99UpperBoundMicros: Double? {
        guard transactions > 0 else { return nil }
        let rank = 0.99 * transactions
        return buckets.first { $0.count >= rank }.map { $0.le * 1e6 }
    }
}
