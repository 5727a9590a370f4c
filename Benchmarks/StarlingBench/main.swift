// starling-bench: prints the datastore figures the foundation issue budgets.
// Run with: swift run -c release starling-bench store [--rows N] [--lookups N] [--updates N] [--memory-rows N] [--runs N]

import StarlingStore
import StarlingTypes

#if canImport(Glibc)
import Glibc
#endif

var options: [String: Int] = [
    "rows": 1_000_000, "lookups": 5_000_000, "updates": 1_000_000, "memory-rows": 10_000_000, "runs": 3,
]
var args = CommandLine.arguments.dropFirst()
let suite = args.first.map { String($0) } ?? "store"
args = args.dropFirst()
while let flag = args.first {
    args = args.dropFirst()
    guard flag.hasPrefix("--"), let value = args.first.flatMap({ Int($0) }) else {
        print("usage: starling-bench store [--rows N] [--lookups N] [--updates N] [--memory-rows N] [--runs N]")
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
    args = args.dropFirst()
}
guard suite == "store" else {
    print("unknown suite `\(suite)`; available: store")
    exit(2)
}

let bench = StoreBenchmark(options: options)
bench.run()
