/// How account ids are drawn for `transfer(from, to, 1)`.
enum Distribution: String, Sendable {
    /// Every account equally likely.
    case uniform
    /// Zipf over account ids: id `k` (rank `k + 1`) has weight `1 / (k + 1)^alpha`.
    case zipf
}

/// `--executor`, kept so that older command lines still parse: the connections no longer run Swift tasks
/// (every frame is handled on its event loop), so both values measure the same thing.
enum DriverExecutor: String, Sendable {
    case loop
    case pool
}

/// The command line of `starling-loadgen`, parsed by hand (this target has no argument-parser dependency).
struct Options: Sendable {
    var serverURL: String?
    var spawnPath: String?
    var serverPID: Int32?
    var fsync: String?
    var inMemory = false
    var wasmPath = "Examples/bank/.build/release/bank.wasm"
    var accounts: UInt64 = 100_000
    var openChunk: UInt64 = 25_000
    var connections = 64
    var inFlight = 16
    var distribution = Distribution.uniform
    var alpha = 1.5
    var warmup = 2.0
    var duration = 10.0
    /// Run only the one-connection, one-call-in-flight measurement.
    var singleOnly = false
    /// Run the one-connection measurement after the main run.
    var withSingle = false
    var clientThreads = 1
    var executor = DriverExecutor.loop
    var json = false
    var smoke = false
    var verify = true
    var poolSize = 1 << 16
    var seed: UInt64 = 0x5EED
    /// `--fanout`: measure subscription fan-out instead of reducer throughput (see ``FanOutRun``).
    var fanout = false
    /// Subscriber connections of the fan-out run.
    var subscribers = 1_000
    /// The query every subscriber subscribes to (without `--distinct`).
    var query = "SELECT * FROM account WHERE id < 1000"
    var queryGiven = false
    /// Writer calls per second in the fan-out run.
    var rate = 50.0
    /// Subscriber `i` subscribes to `SELECT * FROM account WHERE id = i` instead of the shared query.
    var distinct = false

    static let usage = """
        usage: starling-loadgen (--server URL [--server-pid PID] | --spawn PATH_TO_STARLING) [options]
               starling-loadgen --smoke --spawn PATH_TO_STARLING
               starling-loadgen --fanout (--server URL [--server-pid PID] | --spawn PATH) [--subscribers N] [--distinct]

        Drives the bank module's `transfer(from, to, 1)` reducer over WebSocket (BSATN) connections and
        reports throughput, latency, server CPU and write syscalls per call, then checks that money was conserved.

        server:
          --server URL            use a running server, e.g. http://127.0.0.1:3000
          --server-pid PID        its process id, for CPU and syscall figures (same user, Linux /proc)
          --spawn PATH            start `PATH start` on a free port with a temporary data dir; SIGTERM at the end
          --fsync MODE            every-commit | batch | off (passed to the spawned server)
          --in-memory             start the spawned server with --in-memory
          --wasm PATH             the bank module (default Examples/bank/.build/release/bank.wasm)
        workload:
          --accounts N            accounts opened with balance 1000 (default 100000)
          --open-chunk N          accounts opened per open_accounts call (default 25000)
          --connections N         WebSocket connections (default 64)
          --in-flight K           calls outstanding per connection (default 16)
          --distribution D        uniform | zipf (default uniform)
          --alpha A               zipf exponent (default 1.5)
          --warmup S              seconds of load before measuring (default 2)
          --duration S            measured seconds (default 10)
          --single                only measure one connection with one call in flight
          --with-single           after the main run, also measure one connection with one call in flight
          --pool-size N           pre-encoded call frames shared by all connections (default 65536)
          --seed N                random seed for the call pool (default 24301)
        subscription fan-out (--fanout):
          --fanout                N subscribers subscribe to one query; one writer calls transfer(from, to, 1) on
                                  rows inside it, one call at a time; reports call -> first/last subscriber
                                  latency, updates delivered, server CPU per update and the server's fan-out metric
          --subscribers N         subscriber connections (default 1000)
          --query SQL             the query every subscriber subscribes to
                                  (default SELECT * FROM account WHERE id < 1000; select rows by id)
          --distinct              subscriber i subscribes to SELECT * FROM account WHERE id = i instead; the
                                  writer transfers between random accounts among ids 0..<N (2 subscribers per call)
          --rate R                writer calls per second (default 50); --warmup and --duration as above
        client:
          --client-threads N      load-generator threads serving the connections (epoll; default 1)
          --executor E            loop | pool: accepted for old command lines, no effect (connections are
                                  handled on their event loop, without Swift tasks)
        output:
          --json                  also print one JSON object line with all figures
          --no-verify             skip the balance check
          --smoke                 CI check: spawn, 4 connections x 4 in flight, 1000 accounts, 2 s, verify
          -h, --help              this text
        """

    /// Parses `arguments` (without the program name).
    static func parse(_ arguments: [String]) throws(LoadGenError) -> Options {
        var o = Options()
        var args = arguments[...]
        var smokeOverrides: [String] = []
        while let flag = args.popFirst() {
            func value() throws(LoadGenError) -> String {
                guard let v = args.popFirst() else { throw LoadGenError("`\(flag)` needs a value") }
                return v
            }
            switch flag {
            case "-h", "--help": throw LoadGenError.helpRequested
            case "--server": o.serverURL = try value()
            case "--server-pid": o.serverPID = try number(flag, try value())
            case "--spawn": o.spawnPath = try value()
            case "--fsync": o.fsync = try value()
            case "--in-memory": o.inMemory = true
            case "--wasm": o.wasmPath = try value()
            case "--accounts": o.accounts = try number(flag, try value())
            case "--open-chunk": o.openChunk = try number(flag, try value())
            case "--connections": o.connections = try number(flag, try value())
            case "--in-flight": o.inFlight = try number(flag, try value())
            case "--distribution": o.distribution = try choice(flag, try value())
            case "--alpha": o.alpha = try seconds(flag, try value())
            case "--warmup": o.warmup = try seconds(flag, try value())
            case "--duration": o.duration = try seconds(flag, try value())
            case "--single": o.singleOnly = true
            case "--with-single": o.withSingle = true
            case "--pool-size": o.poolSize = try number(flag, try value())
            case "--seed": o.seed = try number(flag, try value())
            case "--fanout": o.fanout = true
            case "--subscribers": o.subscribers = try number(flag, try value())
            case "--query":
                o.query = try value()
                o.queryGiven = true
            case "--rate": o.rate = try seconds(flag, try value())
            case "--distinct": o.distinct = true
            case "--client-threads": o.clientThreads = try number(flag, try value())
            case "--executor": o.executor = try choice(flag, try value())
            case "--json": o.json = true
            case "--no-verify": o.verify = false
            case "--smoke": o.smoke = true
            default: throw LoadGenError("unknown option `\(flag)`")
            }
            if flag != "--smoke" { smokeOverrides.append(flag) }
        }
        if o.smoke { o.applySmoke(explicit: Set(smokeOverrides)) }
        try o.validate()
        return o
    }

    /// `--smoke`: small and short, always verified; options given explicitly still win.
    private mutating func applySmoke(explicit: Set<String>) {
        if !explicit.contains("--connections") { connections = 4 }
        if !explicit.contains("--in-flight") { inFlight = 4 }
        if !explicit.contains("--accounts") { accounts = 1_000 }
        if !explicit.contains("--duration") { duration = 2 }
        if !explicit.contains("--warmup") { warmup = 0.5 }
        verify = true
        singleOnly = false
    }

    private func validate() throws(LoadGenError) {
        guard (serverURL == nil) != (spawnPath == nil) else {
            throw LoadGenError("give exactly one of --server URL and --spawn PATH_TO_STARLING")
        }
        if smoke && spawnPath == nil {
            throw LoadGenError("--smoke starts its own server: add --spawn PATH_TO_STARLING")
        }
        if let fsync, !["every-commit", "batch", "off"].contains(fsync) {
            throw LoadGenError("--fsync must be every-commit, batch or off, not `\(fsync)`")
        }
        guard accounts >= 2 else { throw LoadGenError("--accounts must be at least 2 (a transfer needs two accounts)") }
        guard openChunk >= 1 else { throw LoadGenError("--open-chunk must be at least 1") }
        guard connections >= 1, inFlight >= 1 else {
            throw LoadGenError("--connections and --in-flight must be at least 1")
        }
        guard duration > 0 else { throw LoadGenError("--duration must be positive") }
        guard clientThreads >= 1 else { throw LoadGenError("--client-threads must be at least 1") }
        guard poolSize >= 2 * inFlight, poolSize <= Int(UInt32.max) else {
            throw LoadGenError("--pool-size must be at least twice --in-flight")
        }
        guard alpha > 0 else { throw LoadGenError("--alpha must be positive") }
        if fanout {
            guard !smoke, !singleOnly, !withSingle else {
                throw LoadGenError("--fanout cannot be combined with --smoke, --single or --with-single")
            }
            guard subscribers >= 1 else { throw LoadGenError("--subscribers must be at least 1") }
            guard rate > 0 else { throw LoadGenError("--rate must be positive") }
            if distinct {
                guard !queryGiven else { throw LoadGenError("--distinct makes its own queries: drop --query") }
                guard subscribers >= 2, UInt64(subscribers) <= accounts else {
                    throw LoadGenError("--distinct needs 2 <= --subscribers <= --accounts (one account per subscriber)")
                }
            }
        } else if distinct || queryGiven {
            throw LoadGenError("--distinct and --query belong to --fanout")
        }
    }

    private static func number<T: FixedWidthInteger>(_ flag: String, _ text: String) throws(LoadGenError) -> T {
        guard let n = T(text.replacing("_", with: "")), n >= 0 else {
            throw LoadGenError("`\(flag)` expects a non-negative integer, not `\(text)`")
        }
        return n
    }

    private static func seconds(_ flag: String, _ text: String) throws(LoadGenError) -> Double {
        guard let s = Double(text), s >= 0, s.isFinite else {
            throw LoadGenError("`\(flag)` expects a non-negative number, not `\(text)`")
        }
        return s
    }

    private static func choice<T: RawRepresentable<String>>(_ flag: String, _ text: String) throws(LoadGenError) -> T {
        guard let v = T(rawValue: text) else { throw LoadGenError("`\(text)` is not a valid value for `\(flag)`") }
        return v
    }
}

/// A failure of the load generator: a message for people. Exit status 1 (2 for usage errors).
struct LoadGenError: Error, CustomStringConvertible {
    var message: String
    var isUsage = false
    init(_ message: String, isUsage: Bool = false) {
        self.message = message
        self.isUsage = isUsage
    }
    static let helpRequested = LoadGenError("", isUsage: true)
    var description: String { message }
}
