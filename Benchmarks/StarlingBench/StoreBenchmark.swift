import StarlingStore
import StarlingTypes

#if canImport(Glibc)
import Glibc
#endif

/// The datastore benchmarks: bulk insert, point lookup by primary key, one-row update
/// transactions, and resident memory per row.
struct StoreBenchmark {
    let options: [String: Int]

    /// The benchmark row: u64 primary key, 12-character string, two f32 (32 bytes of BSATN).
    static let schema = TableSchema(
        name: "bench",
        columns: [.init("id", .u64), .init("name", .string), .init("x", .f32), .init("y", .f32)],
        primaryKey: 0)

    static func encodeRow(_ id: UInt64, into w: inout BSATNWriter) {
        w.removeAll()
        w.write(id)
        w.write(name(for: id))
        w.write(Float(id & 1023))
        w.write(Float(id >> 10 & 1023))
    }

    /// A 12-character name derived from the id.
    static func name(for id: UInt64) -> String {
        let digits = String(id, radix: 36)
        return String(repeating: "p", count: max(0, 12 - digits.count)) + digits.suffix(12)
    }

    /// Each figure is measured this many times; the median is reported (and the best, since a
    /// shared 2-core VM adds noise that only ever slows a run down).
    var runs: Int { max(1, options["runs"] ?? 3) }

    func run() {
        print("starling-bench store (release build expected; 2-core machine; median and best of \(runs) runs)")
        let rows = options["rows"]!
        var (db, table) = insertBenchmarkOnce(rows: rows)
        var times = [lastInsertTime]
        for _ in 1..<runs {
            (db, table) = insertBenchmarkOnce(rows: rows)
            times.append(lastInsertTime)
        }
        report("insert (one tx, \(rows) BSATN rows, validate + PK index)", rows, times, unit: "rows/s", budget: 2_000_000)
        lookupBenchmark(db, table, rows: rows, lookups: options["lookups"]!)
        updateBenchmark(db, table, rows: rows, updates: options["updates"]!)
        replayBenchmark(rows: rows)
        memoryBenchmark(rows: options["memory-rows"]!)
    }

    /// Recovery's datastore side: decode commit records (100 inserts each, as a module's bulk
    /// load would log them) and replay them into a fresh datastore. Reports payload MB/s.
    func replayBenchmark(rows: Int) {
        let db = Datastore()
        var payloads: [[UInt8]] = []
        var w = BSATNWriter(capacity: 64)
        let (table, create) = try! db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }
        payloads.append(CommitRecord(timestamp: .unixEpoch, delta: create).encode())
        var i = 0
        while i < rows {
            let (_, delta) = try! db.write { tx throws(StoreError) in
                for k in i..<min(rows, i + 100) {
                    Self.encodeRow(UInt64(k) &* 0x9E37_79B9 % UInt64(rows * 16), into: &w)
                    _ = try w.withBytes { (b) throws(StoreError) in try tx.insert(table, b) }
                }
            }
            payloads.append(CommitRecord(timestamp: .unixEpoch, delta: delta).encode())
            i += 100
        }
        let bytes = payloads.reduce(0) { $0 + $1.count }
        let times = (0..<runs).map { _ in
            let fresh = Datastore()
            return ContinuousClock().measure {
                for p in payloads { try! p.withBytes { (b) throws(StoreError) in try fresh.replay(payload: b) } }
            }
        }
        let seconds = times.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }.sorted()
        let median = seconds[seconds.count / 2]
        print(
            "replay (decode + apply \(payloads.count) commit records, \(rows) rows, \(bytes >> 20) MiB): "
                + "\(fmt(Double(bytes) / median / 1e6)) MB/s median, \(fmt(Double(rows) / median / 1e6))M rows/s "
                + "(budget for log replay ≥ 300 MB/s)")
    }

    /// The duration of the last ``insertBenchmarkOnce(rows:)``.
    nonisolated(unsafe) static var lastInsert = Duration.zero
    var lastInsertTime: Duration { Self.lastInsert }

    func insertBenchmarkOnce(rows: Int) -> (Datastore, TableId) {
        let db = Datastore()
        let (table, _) = try! db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }
        // Rows arrive as BSATN (from a module or the wire): encode them before timing.
        var w = BSATNWriter(capacity: 64)
        var encoded = RowList()
        for i in 0..<rows {
            Self.encodeRow(UInt64(i) &* 0x9E37_79B9 % UInt64(rows * 16), into: &w)
            encoded.append(w.bytes)
        }
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        let (_, _) = try! db.write { tx throws(StoreError) in
            try encoded.bytes.withBytes { (all) throws(StoreError) in
                let start = clock.now
                var from = 0
                for end in encoded.ends {
                    try tx.insert(table, UnsafeRawBufferPointer(rebasing: all[from..<Int(end)]))
                    from = Int(end)
                }
                elapsed = clock.now - start
            }
        }
        Self.lastInsert = elapsed
        return (db, table)
    }

    /// Point lookups by primary key for `distinctKeys` random existing keys, cycled: 4,096 hot
    /// keys (a game's active entities; the tree's hot paths stay in cache) and one key per row
    /// (uniform over the table: every lookup pays DRAM misses).
    func lookupBenchmark(_ db: Datastore, _ table: TableId, rows: Int, lookups: Int) {
        for distinct in [4096, rows] {
            let elapsed = (0..<runs).map { _ in timeLookups(db, table, rows: rows, lookups: lookups, distinctKeys: distinct) }
            let what = distinct == rows ? "uniform over all keys" : "\(distinct) hot keys"
            report("point lookup by primary key (\(rows) rows, \(what))", lookups, elapsed, unit: "lookups/s", budget: 5_000_000)
        }
    }

    func timeLookups(_ db: Datastore, _ table: TableId, rows: Int, lookups: Int, distinctKeys: Int) -> Duration {
        var rng = SplitMix64(seed: 42)
        var mask = 1
        while mask < distinctKeys { mask <<= 1 }
        let keys = (0..<mask).map { _ in UInt64(rng.next() % UInt64(rows)) &* 0x9E37_79B9 % UInt64(rows * 16) }
        mask -= 1
        var found = 0
        var checksum: UInt64 = 0
        let elapsed = try! db.read { tx throws(StoreError) in
            let pk = try tx.indexId(columns: ["id"], table: table)!
            let clock = ContinuousClock()
            let start = clock.now
            var keyBytes = [UInt8](repeating: 0, count: 8)
            for i in 0..<lookups {
                keyBytes.withUnsafeMutableBytes { $0.storeBytes(of: keys[i & mask].littleEndian, as: UInt64.self) }
                try keyBytes.withBytes { (b) throws(StoreError) in
                    try tx.seek(pk, keyBSATN: b) { _, row in
                        found += 1
                        checksum &+= UInt64(row.count)
                        return false
                    }
                }
            }
            return clock.now - start
        }
        precondition(found == lookups, "every looked-up key exists")
        _ = checksum
        return elapsed
    }

    func updateBenchmark(_ db: Datastore, _ table: TableId, rows: Int, updates: Int) {
        var rng = SplitMix64(seed: 7)
        let pk = try! db.read { tx throws(StoreError) in try tx.indexId(columns: ["id"], table: table)! }
        var row: [UInt8] = []
        var keyBytes = [UInt8](repeating: 0, count: 8)
        let elapsed = (0..<runs).map { _ in ContinuousClock().measure {
            for _ in 0..<updates {
                let key = UInt64(rng.next() % UInt64(rows)) &* 0x9E37_79B9 % UInt64(rows * 16)
                keyBytes.withUnsafeMutableBytes { $0.storeBytes(of: key.littleEndian, as: UInt64.self) }
                _ = try! db.write { tx throws(StoreError) in
                    try keyBytes.withBytes { (b) throws(StoreError) in
                        try tx.seek(pk, keyBSATN: b) { _, r in
                            row.removeAll(keepingCapacity: true)
                            row.append(contentsOf: r)
                            return false
                        }
                    }
                    // x += 1 (the f32 after the u64 id and the 4+12-byte string).
                    let x = row.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 24, as: Float.self) }
                    row.withUnsafeMutableBytes { $0.storeBytes(of: x + 1, toByteOffset: 24, as: Float.self) }
                    try tx.update(index: pk, row: row)
                }
            }
        } }
        report("update one row by primary key + commit (\(rows) rows)", updates, elapsed, unit: "tx/s", budget: 500_000)
    }

    func memoryBenchmark(rows: Int) {
        let before = residentBytes()
        let db = Datastore()
        let (table, _) = try! db.write { tx throws(StoreError) in try tx.createTable(Self.schema) }
        var w = BSATNWriter(capacity: 64)
        let batch = 100_000
        var done = 0
        while done < rows {
            let n = min(batch, rows - done)
            _ = try! db.write { tx throws(StoreError) in
                for i in done..<done + n {
                    Self.encodeRow(UInt64(i), into: &w)
                    _ = try w.withBytes { (b) throws(StoreError) in try tx.insert(table, b) }
                }
            }
            done += n
        }
        let after = residentBytes()
        let count = try! db.read { tx throws(StoreError) in try tx.rowCount(table) }
        precondition(count == rows)
        let perRow = Double(after - before) / Double(rows)
        let bsatn = 32.0
        let budget = 1.5 * bsatn + 40
        print(
            "memory: \(rows) rows, resident +\((after - before) >> 20) MiB = \(fmt(perRow)) B/row "
                + "(BSATN \(Int(bsatn)) B/row; pages \(fmt(Double(db.pageBytes) / Double(rows))) B/row; "
                + "budget ≤ \(fmt(budget)) B/row) \(perRow <= budget ? "OK" : "OVER BUDGET")")
        withExtendedLifetime(db) {}
    }

    /// Prints the median rate of `times` (each for `n` operations), the best rate, and the verdict
    /// against `budget` (judged on the median).
    func report(_ what: String, _ n: Int, _ times: [Duration], unit: String, budget: Double) {
        let rates = times.map { d in Double(n) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) }.sorted()
        let median = rates[rates.count / 2]
        let ok = median >= budget ? "OK" : "BELOW BUDGET"
        print(
            "\(what): \(fmt(median / 1e6))M \(unit) median, \(fmt(rates.last! / 1e6))M best "
                + "(\(fmt(1e9 / median)) ns each; budget ≥ \(fmt(budget / 1e6))M) \(ok)")
    }

    func fmt(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return "\(r)"
    }

    /// Resident set size from /proc/self/statm.
    func residentBytes() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(f) }
        var size = 0
        var resident = 0
        _ = withUnsafeMutablePointer(to: &size) { s in
            withUnsafeMutablePointer(to: &resident) { r in
                withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
            }
        }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

