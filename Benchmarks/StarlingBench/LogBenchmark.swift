import Foundation
import StarlingDatabase
import StarlingDurability
import StarlingStore
import StarlingTypes
import Synchronization

/// The durability benchmarks: group-committed small transactions, every-commit from many
/// concurrent writers (transactions per fsync), and recovery (log replay) speed.
struct LogBenchmark {
    let options: [String: Int]

    /// One 40-byte row: (id u64, a u64, b u64, c u64, d u64).
    static let schema = TableSchema(
        name: "small", columns: ["id", "a", "b", "c", "d"].map { ColumnSchema($0, .u64) }, primaryKey: 0)

    func run() {
        print("starling-bench log (release build expected; on the data disk of this machine)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A count of 0 skips that part (for profiling one of them).
        let txs = options["txs"]!
        if txs > 0 {
            batchCommits(dir: dir, txs: txs)
            for _ in 0..<max(1, options["recovery-runs"] ?? 1) { recovery(dir: dir, txs: txs) }
        }
        if options["every-commit-txs"]! > 0 {
            everyCommit(dir: dir + "-ec", writers: options["writers"]!, txs: options["every-commit-txs"]!)
            try? FileManager.default.removeItem(atPath: dir + "-ec")
        }
        if options["snapshot-rows"]! > 0 {
            snapshotLoad(dir: dir + "-snap", rows: options["snapshot-rows"]!)
            try? FileManager.default.removeItem(atPath: dir + "-snap")
        }
    }

    /// Fills a table (100k rows per transaction), snapshots it, reopens: snapshot write and load times.
    func snapshotLoad(dir: String, rows: Int) {
        let db = try! Database.open(directory: dir, fsync: .off)
        let (table, _, _) = try! db.write { tx throws(StoreError) in try tx.createTable(StoreBenchmark.schema) }
        var w = BSATNWriter(capacity: 64)
        var done = 0
        while done < rows {
            let n = min(100_000, rows - done)
            try! db.write { tx throws(StoreError) in
                for i in done..<done + n {
                    StoreBenchmark.encodeRow(UInt64(i), into: &w)
                    _ = try w.withBytes { (b) throws(StoreError) in try tx.insert(table, b) }
                }
            }
            done += n
        }
        let clock = ContinuousClock()
        var start = clock.now
        try! db.snapshot()
        let write = seconds(clock.now - start)
        let stats = db.lastSnapshot!
        try! db.close()
        var loads: [Double] = []
        var cpus: [Double] = []
        for _ in 0..<max(1, options["load-runs"] ?? 1) {
            start = clock.now
            let cpuStart = Self.threadCPUSeconds()
            let reopened = try! Database.open(directory: dir)
            loads.append(seconds(clock.now - start))
            cpus.append(Self.threadCPUSeconds() - cpuStart)
            precondition(try! reopened.store.read { tx throws(StoreError) in try tx.rowCount(table) } == rows)
            try! reopened.close()
        }
        let load = loads.min()!
        print(
            "snapshot loads: \(loads.map { fmt($0) }.joined(separator: ", ")) s "
                + "(CPU time of the loading thread: \(cpus.map { fmt($0) }.joined(separator: ", ")) s)")
        print(
            "snapshot: \(rows) rows (32-byte rows, u64 primary key, \(stats.bytes >> 20) MiB): written in \(fmt(write)) s "
                + "(writer held \(fmt(seconds(stats.writerHeld) * 1e3)) ms of \(fmt(seconds(stats.total) * 1e3)) ms), "
                + "loaded (open with no log suffix) in \(fmt(load)) s (budget for 10M rows ≤ 3 s)")
    }

    /// Sequential single-row transactions through `Database` with `batch`, timed until the last
    /// one is durable (the final flush is inside the timing).
    func batchCommits(dir: String, txs: Int) {
        let db = try! Database.open(directory: dir, fsync: .batch)
        let (table, _, _) = try! db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }
        var w = BSATNWriter(capacity: 48)
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<txs {
            w.removeAll()
            for k in 0..<5 { w.write(UInt64(i) &+ UInt64(k)) }
            let row = w.bytes
            try! db.write { tx throws(StoreError) in try tx.insert(table, row) }
        }
        try! db.close()
        let s = seconds(clock.now - start)
        print("batch: \(txs) single-row transactions (40-byte row) committed and durable: \(fmt(Double(txs) / s / 1e3))k tx/s (budget ≥ 200k tx/s)")
    }

    /// Reopens the database written by ``batchCommits(dir:txs:)`` and times recovery.
    func recovery(dir: String, txs: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = Self.threadCPUSeconds()
        let db = try! Database.open(directory: dir)
        let s = seconds(clock.now - start)
        let cpu = Self.threadCPUSeconds() - cpuStart
        let r = db.recovery
        print(
            "recovery: replayed \(r.records) records, \(r.bytes >> 20) MiB in \(fmt(s)) s: "
                + "\(fmt(Double(r.bytes) / s / 1e6)) MB/s, \(fmt(Double(r.records) / s / 1e3))k tx/s (budget ≥ 300 MB/s); "
                + "per CPU second of the replaying thread: \(fmt(Double(r.bytes) / cpu / 1e6)) MB/s")
        try! db.close()
    }

    /// `writers` threads appending 40-byte-row records to one log with `every-commit`, each
    /// waiting for its fsync: transactions per second vs fsyncs per second.
    func everyCommit(dir: String, writers: Int, txs: Int) {
        let storage = InstrumentedSegmentStorage(try! FileSegmentStorage(directory: dir + "/log"))
        let log = try! Commitlog(storage: storage, nextOffset: 0, fsyncPolicy: .everyCommit)
        let payload = CommitRecord(
            timestamp: .unixEpoch,
            delta: TxDelta(tables: [TableDelta(tableId: 4096, tableName: "small", inserts: RowList([[UInt8](repeating: 1, count: 40)]))])
        ).encode()
        let perWriter = max(1, txs / writers)
        let clock = ContinuousClock()
        let start = clock.now
        // One thread per writer (not a concurrentPerform pool, which runs one per core).
        let group = DispatchGroup()
        for _ in 0..<writers {
            group.enter()
            let thread = Thread {
                for _ in 0..<perWriter { try! log.appendAndWait(payload) }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        let s = seconds(clock.now - start)
        try! log.close()
        let total = perWriter * writers
        let syncs = storage.syncs.load(ordering: .relaxed)
        print(
            "every-commit: \(writers) writers, \(total) transactions: \(fmt(Double(total) / s / 1e3))k tx/s, "
                + "\(fmt(Double(syncs) / s)) fsyncs/s (\(fmt(Double(total) / Double(max(1, syncs)))) tx per fsync, "
                + "mean fsync \(fmt(Double(storage.syncNanoseconds.load(ordering: .relaxed)) / Double(max(1, syncs)) / 1000)) µs)")
    }

    /// CPU time used by the calling thread so far (user + system), to tell own work from waiting
    /// for the CPU on a shared machine.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    func fmt(_ x: Double) -> String { "\((x * 100).rounded() / 100)" }
}
