import Histogram
import StarlingTypes

/// Human-readable lines and the `--json` object for runs and the balance check.
enum Report {
    /// The lines describing one run.
    static func lines(_ r: RunResult) -> [String] {
        let h = r.latency
        var out = [
            "== \(r.label): \(r.connections) connection(s) x \(r.inFlight) in flight, \(fixed(r.seconds, 2)) s measured",
            "throughput   \(grouped(Int(r.callsPerSecond.rounded()))) calls/s (\(grouped(r.committed)) committed, \(grouped(r.failed)) failed)",
            "latency us   p50 \(h.valueAtPercentile(50))  p90 \(h.valueAtPercentile(90))  p99 \(h.valueAtPercentile(99))  "
                + "p99.9 \(h.valueAtPercentile(99.9))  max \(h.max)  mean \(fixed(h.mean, 1))",
        ]
        let calls = Double(max(1, r.calls))
        if let cpu = r.cost.serverCPUMicros {
            let syscalls =
                r.cost.serverWriteSyscalls.map { "\(fixed($0 / calls, 3)) write syscalls/call" } ?? "write syscalls n/a"
            out.append(
                "server       \(fixed(cpu / calls, 2)) us CPU/call, \(syscalls) (\(percent(cpu / 1e6 / r.seconds)) of one core)"
            )
            out.append("  threads    " + threadLine(r.cost.serverThreads, calls: calls, seconds: r.seconds))
        } else {
            out.append("server       CPU and syscalls n/a (give --server-pid or use --spawn)")
        }
        let selfSyscalls = r.cost.selfWriteSyscalls.map { "\(fixed($0 / calls, 3)) write syscalls/call" } ?? ""
        out.append(
            "load-gen     \(fixed(r.cost.selfCPUMicros / calls, 2)) us CPU/call, \(selfSyscalls) "
                + "(\(percent(r.cost.selfCPUMicros / 1e6 / r.seconds)) of one core)"
        )
        out.append("  threads    " + threadLine(r.cost.selfThreads, calls: calls, seconds: r.seconds))
        if let share = r.cost.machineBusyShare {
            let others =
                r.cost.otherProcessesCores.map { ", other processes \(fixed($0, 2)) cores (noise if > 0.05)" } ?? ""
            let steal = r.cost.machineStealShare.map { ", hypervisor steal \(percent($0))" } ?? ""
            out.append("machine      \(percent(share)) of all cores busy\(others)\(steal)")
        }
        if !r.failureSamples.isEmpty { out.append("failures     e.g. " + r.failureSamples.joined(separator: " | ")) }
        if r.sentTotal != r.repliesTotal || r.outOfOrder > 0 {
            out.append(
                "WARNING      \(r.sentTotal) calls sent, \(r.repliesTotal) replies, \(r.outOfOrder) out of order"
            )
        }
        for e in r.errors.prefix(5) { out.append("ERROR        \(e)") }
        if r.errors.count > 5 { out.append("ERROR        ... and \(r.errors.count - 5) more") }
        return out
    }

    /// The busiest threads: CPU per call and share of one core, named `name/tid` as the kernel knows them.
    static func threadLine(_ threads: [String: Double], calls: Double, seconds: Double) -> String {
        let top = threads.filter { $0.value > 0 }.sorted { $0.value > $1.value }.prefix(4)
        guard !top.isEmpty else { return "n/a" }
        return top.map { "\($0.key) \(fixed($0.value / calls, 2)) (\(percent($0.value / 1e6 / seconds)))" }
            .joined(separator: ", ") + "  [us/call (share of one core)]"
    }

    static func json(_ r: RunResult) -> JSONValue {
        let h = r.latency
        let calls = Double(max(1, r.calls))
        func perCall(_ v: Double?) -> JSONValue { v.map { number($0 / calls) } ?? .null }
        func threads(_ t: [String: Double]) -> JSONValue {
            .object(
                t.filter { $0.value > 0 }.sorted { $0.value > $1.value }.map {
                    (key: $0.key, value: number($0.value / calls))
                }
            )
        }
        return [
            "label": .string(r.label), "connections": .integer(r.connections), "in_flight": .integer(r.inFlight),
            "seconds": number(r.seconds), "calls_per_second": number(r.callsPerSecond),
            "committed": .integer(r.committed), "failed": .integer(r.failed),
            "latency_us": [
                "p50": .integer(h.valueAtPercentile(50)), "p90": .integer(h.valueAtPercentile(90)),
                "p99": .integer(h.valueAtPercentile(99)), "p99_9": .integer(h.valueAtPercentile(99.9)),
                "max": .integer(h.max), "mean": number(h.mean),
            ],
            "server_cpu_us_per_call": perCall(r.cost.serverCPUMicros),
            "server_write_syscalls_per_call": perCall(r.cost.serverWriteSyscalls),
            "server_threads_us_per_call": threads(r.cost.serverThreads),
            "loadgen_cpu_us_per_call": perCall(r.cost.selfCPUMicros),
            "loadgen_write_syscalls_per_call": perCall(r.cost.selfWriteSyscalls),
            "loadgen_threads_us_per_call": threads(r.cost.selfThreads),
            "machine_busy_share": r.cost.machineBusyShare.map { number($0) } ?? .null,
            "other_processes_cores": r.cost.otherProcessesCores.map { number($0) } ?? .null,
            "machine_steal_share": r.cost.machineStealShare.map { number($0) } ?? .null,
            "sent_total": .integer(r.sentTotal), "replies_total": .integer(r.repliesTotal),
            "out_of_order": .integer(r.outOfOrder), "errors": .array(r.errors.map { .string($0) }),
            "failure_samples": .array(r.failureSamples.map { .string($0) }),
        ]
    }

    static func json(_ c: BankSetup.Check) -> JSONValue {
        [
            "passed": .bool(c.passed), "rows": .integer(c.rows), "expected_rows": .integer(c.expectedRows),
            "balance_sum": .integer(c.sum), "expected_balance_sum": .integer(c.expectedSum),
            "seconds": number(c.seconds),
        ]
    }

    /// A JSON number with at most 3 decimals.
    static func number(_ v: Double) -> JSONValue {
        v.isFinite ? .number(fixed(v, 3)) : .null
    }

    /// `v` with `digits` decimals, without Foundation's `String(format:)`.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = v < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let text = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func percent(_ share: Double) -> String { fixed(share * 100, 0) + "%" }

    /// `1234567` → `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(abs(n)))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }
}

/// A latency histogram in microseconds (1 µs to 60 s, three significant digits): every latency
/// the load generator records uses this one shape, so histograms can be merged.
func latencyHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
}
