import NIOCore
import NIOPosix
import StarlingTypes

#if canImport(Glibc)
import Glibc
#endif

/// `starling-loadgen`: the WebSocket load generator. See ``Options/usage``.
///
/// Exit status: 0 when every run was clean and the balance check passed (and, with `--smoke`, calls
/// committed); 1 on a failed check, a connection error or a setup failure; 2 on a usage error.
@main
struct LoadGen {
    /// The opening balance of every account.
    static let openingBalance: Int64 = 1_000

    static func main() async {
        let options: Options
        do {
            options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            if error.message.isEmpty {
                say(Options.usage)
                exit(0)
            }
            printError("starling-loadgen: \(error.message)\n\n\(Options.usage)")
            exit(2)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.clientThreads)
        var server: ServerProcess?
        var ok = false
        do {
            if options.fanout, let note = raiseFileLimit(needed: options.subscribers + 256) { say("limits       \(note)") }
            if let path = options.spawnPath {
                server = try ServerProcess.spawn(path: path, fsync: options.fsync, inMemory: options.inMemory)
            }
            if options.fanout {
                ok = try await runFanOut(options, server: server, group: group)
            } else {
                ok = try await run(options, server: server, group: group)
            }
        } catch {
            printError("starling-loadgen: \(error)")
        }
        if let server {
            let status = server.stop()
            say("server       pid \(server.pid) stopped: \(status)")
        }
        try? await group.shutdownGracefully()
        exit(ok ? 0 : 1)
    }

    /// Names the server, publishes the bank module and opens the accounts (every mode starts so).
    static func setUpBank(_ o: Options, server: ServerProcess?, group: MultiThreadedEventLoopGroup, note: String = "")
        async throws -> (setup: BankSetup, pid: Int32?)
    {
        let baseURL = server?.url ?? o.serverURL!
        let pid = server?.pid ?? o.serverPID
        say("server       \(baseURL)" + (pid.map { " pid \($0)" } ?? " (pid unknown: no server CPU figures)"))
        let wasm = try readFile(o.wasmPath)
        let t = monotonicNanos()
        let setup = try await BankSetup.publish(baseURL: baseURL, wasm: wasm, group: group)
        try await setup.openAccounts(o.accounts, balance: openingBalance, chunk: o.openChunk)
        say("setup        database \(setup.database): \(o.accounts) accounts x \(openingBalance) in \(seconds(since: t)) s\(note)")
        return (setup, pid)
    }

    /// Setup, the runs, the check and the report. Returns whether everything passed.
    static func run(_ o: Options, server: ServerProcess?, group: MultiThreadedEventLoopGroup) async throws -> Bool {
        let (setup, pid) = try await setUpBank(o, server: server, group: group)
        var t = monotonicNanos()
        let pool = CallPool(
            size: o.poolSize,
            accounts: o.accounts,
            distribution: o.distribution,
            alpha: o.alpha,
            seed: o.seed
        )
        let skew = o.distribution == .zipf ? " alpha \(o.alpha)," : ""
        say(
            "workload     transfer(from, to, 1), \(o.distribution.rawValue),\(skew) hottest account in "
                + "\(Report.percent(pool.hottestAccountShare())) of calls; \(pool.count) frames encoded in \(seconds(since: t)) s; "
                + "client: \(o.clientThreads) epoll thread(s), connections served on their thread"
        )
        var runs: [RunResult] = []
        func load(_ label: String, _ connections: Int, _ inFlight: Int) async throws {
            let run = LoadRun(
                label: label,
                setup: setup,
                pool: pool,
                connections: connections,
                inFlight: inFlight,
                warmup: o.warmup,
                duration: o.duration,
                clientThreads: o.clientThreads,
                serverPID: pid
            )
            let result = try await run.run()
            for line in Report.lines(result) { say(line) }
            runs.append(result)
        }
        if !o.singleOnly { try await load(o.smoke ? "smoke" : "load", o.connections, o.inFlight) }
        if o.singleOnly || o.withSingle { try await load("single", 1, 1) }
        var check: BankSetup.Check?
        if o.verify {
            let c = try await setup.verify(accounts: o.accounts, balance: openingBalance)
            say(
                "check        \(c.passed ? "PASS" : "FAIL"): \(c.rows) rows (expected \(c.expectedRows)), balances sum "
                    + "\(c.sum) (expected \(c.expectedSum)), read in \(Report.fixed(c.seconds, 2)) s"
            )
            check = c
        }
        let clean = runs.allSatisfy(\.isClean)
        let committed = runs.allSatisfy { $0.committed > 0 }
        let passed = clean && (check?.passed ?? true) && (!o.smoke || committed)
        if o.smoke { say("smoke        \(passed ? "PASS" : "FAIL")") }
        if o.json { say(json(o, setup: setup, pid: pid, runs: runs, check: check, passed: passed).text) }
        return passed
    }

    static func json(
        _ o: Options,
        setup: BankSetup,
        pid: Int32?,
        runs: [RunResult],
        check: BankSetup.Check?,
        passed: Bool
    ) -> JSONValue {
        [
            "server_url": .string(setup.baseURL), "server_pid": pid.map { .integer($0) } ?? .null,
            "database": .string(setup.database), "fsync": o.fsync.map { .string($0) } ?? .null,
            "in_memory": .bool(o.inMemory), "accounts": .integer(o.accounts),
            "distribution": .string(o.distribution.rawValue), "alpha": Report.number(o.alpha),
            "warmup_seconds": Report.number(o.warmup), "client_threads": .integer(o.clientThreads),
            "executor": .string(DriverExecutor.loop.rawValue), "runs": .array(runs.map(Report.json)),
            "check": check.map(Report.json) ?? .null, "passed": .bool(passed),
        ]
    }

    static func readFile(_ path: String) throws(LoadGenError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw LoadGenError(
                "cannot read the module `\(path)`: \(String(cString: strerror(errno))) (build it or pass --wasm)"
            )
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return bytes
    }

    static func seconds(since start: UInt64) -> String { Report.fixed(Double(monotonicNanos() - start) / 1e9, 2) }

    static func printError(_ text: String) {
        fflush(nil)
        var line = text + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}

/// Prints a line and flushes stdout, so progress shows up at once when the output is piped.
func say(_ line: String) {
    print(line)
    fflush(nil)
}
