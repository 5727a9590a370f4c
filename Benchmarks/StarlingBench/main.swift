// starling-bench: prints the figures the issues budget (release builds only).
//
//     swift run -c release starling-bench store [--rows N] [--lookups N] [--updates N] [--memory-rows N] [--runs N]
//     swift run -c release starling-bench log [--txs N] [--writers N] [--every-commit-txs N] [--snapshot-rows N] [--recovery-runs N] [--load-runs N]
//     swift run -c release starling-bench module [--calls N] [--accounts N] [--runs N]
//     swift run -c release starling-bench subscriptions [--accounts N] [--sub-txs N]

import StarlingStore
import StarlingTypes

#if canImport(Glibc)
import Glibc
#endif

let usage = """
    usage: starling-bench store [--rows N] [--lookups N] [--updates N] [--memory-rows N] [--runs N]
           starling-bench log [--txs N] [--writers N] [--every-commit-txs N] [--snapshot-rows N] [--recovery-runs N] [--load-runs N]
           starling-bench module [--calls N] [--accounts N] [--runs N]
           starling-bench subscriptions [--accounts N] [--sub-txs N]
    """
var options: [String: Int] = [
    "rows": 1_000_000, "lookups": 5_000_000, "updates": 1_000_000, "memory-rows": 10_000_000, "runs": 3,
    "txs": 1_000_000, "writers": 64, "every-commit-txs": 20_000, "snapshot-rows": 10_000_000,
    "calls": 300_000, "accounts": 100_000, "sub-txs": 20_000,
]
var args = CommandLine.arguments.dropFirst()
let suite = args.first.map { String($0) } ?? "store"
args = args.dropFirst()
while let flag = args.first {
    args = args.dropFirst()
    guard flag.hasPrefix("--"), let value = args.first.flatMap({ Int($0) }) else {
        print(usage)
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
    args = args.dropFirst()
}
switch suite {
case "store": StoreBenchmark(options: options).run()
case "log": LogBenchmark(options: options).run()
case "module": ModuleBenchmark(options: options).run()
case "subscriptions": SubscriptionBenchmark(options: options).run()
default:
    print("unknown suite `\(suite)`\n\(usage)")
    exit(2)
}
