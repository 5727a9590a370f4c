import NIOPosix
import StarlingTypes

#if canImport(Glibc)
import Glibc
#endif

extension LoadGen {
    /// `--fanout`: setup as for the load runs, then one ``FanOutRun``, the balance check and the report.
    /// Returns whether the run was clean and the check passed.
    static func runFanOut(_ o: Options, server: ServerProcess?, group: MultiThreadedEventLoopGroup) async throws -> Bool {
        let (setup, pid) = try await setUpBank(o, server: server, group: group, note: "; client: \(o.clientThreads) epoll thread(s)")
        let result = try await FanOutRun(options: o, setup: setup, group: group, serverPID: pid).run()
        for line in FanOutReport.lines(result) { say(line) }
        var check: BankSetup.Check?
        if o.verify {
            let c = try await setup.verify(accounts: o.accounts, balance: openingBalance)
            say(
                "check        \(c.passed ? "PASS" : "FAIL"): \(c.rows) rows (expected \(c.expectedRows)), balances sum "
                    + "\(c.sum) (expected \(c.expectedSum)), read in \(Report.fixed(c.seconds, 2)) s"
            )
            check = c
        }
        let passed = result.isClean && (check?.passed ?? true)
        if o.json {
            let object: JSONValue = [
                "server_url": .string(setup.baseURL), "server_pid": pid.map { .integer($0) } ?? .null,
                "database": .string(setup.database), "fsync": o.fsync.map { .string($0) } ?? .null,
                "in_memory": .bool(o.inMemory), "accounts": .integer(o.accounts),
                "warmup_seconds": Report.number(o.warmup), "client_threads": .integer(o.clientThreads),
                "fanout": FanOutReport.json(result), "check": check.map(Report.json) ?? .null, "passed": .bool(passed),
            ]
            say(object.text)
        }
        return passed
    }

    /// Raises the soft open-file limit to the hard limit when `needed` descriptors would not fit (a spawned
    /// server inherits it). Returns a note for the output, or nil when nothing had to change.
    static func raiseFileLimit(needed: Int) -> String? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        guard limit.rlim_cur < rlim_t(needed) else { return nil }
        let old = limit.rlim_cur
        limit.rlim_cur = min(limit.rlim_max, max(rlim_t(needed), limit.rlim_cur))
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 || limit.rlim_cur < rlim_t(needed) {
            return "open-file limit \(old) (hard \(limit.rlim_max)) is below the \(needed) this run needs: raise it with "
                + "`ulimit -n` (connections beyond it will fail)"
        }
        return "open-file limit raised from \(old) to \(limit.rlim_cur)"
    }
}
