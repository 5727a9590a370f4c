import StarlingTypes
import Testing

@testable import StarlingStore

/// Replaying committed deltas (through their commitlog encoding) into a fresh datastore must
/// rebuild exactly the same state: the differential check behind recovery.
struct ReplayTests {
    /// Every table's rows, as a multiset of BSATN byte strings, by table id.
    static func state(_ db: Datastore) throws -> [TableId: [[UInt8]: Int]] {
        try db.read { tx in
            var out: [TableId: [[UInt8]: Int]] = [:]
            for (id, _) in try tx.tableNames() { out[id] = multiset(try tx.rows(id)) }
            return out
        }
    }

    static func schemas() -> [TableSchema] {
        [
            playerSchema(),
            TableSchema(
                name: "event", columns: [.init("at", .timestamp), .init("kind", .u8), .init("note", .option(.string))],
                indexes: [IndexSchema(name: "event_kind", columns: [1], algorithm: .hash)]),
            TableSchema(
                name: "edge", columns: [.init("from", .u32), .init("to", .u32), .init("w", .f64)],
                indexes: [IndexSchema(name: "edge_from_to", columns: [0, 1], isUnique: true)], access: .private),
        ]
    }

    static func randomRow(_ table: Int, _ rng: inout SplitMix64) -> [AlgebraicValue] {
        switch table {
        case 0: player(rng.next() % 3 == 0 ? 0 : rng.next() % 40, "p\(rng.next() % 40)", Float(rng.next() % 9), 1)
        case 1:
            [
                .timestamp(Timestamp(microsSinceUnixEpoch: Int64(rng.next() % 30))), .u8(UInt8(rng.next() % 4)),
                .option(rng.next() % 2 == 0 ? nil : .string("n\(rng.next() % 5)")),
            ]
        default: [.u32(UInt32(rng.next() % 8)), .u32(UInt32(rng.next() % 8)), .f64(Double(rng.next() % 5) / 2)]
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func replayOfEveryCommittedDeltaRebuildsTheState(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let live = Datastore()
        let replica = Datastore()
        var tables: [TableId] = []
        func ship(_ delta: TxDelta) throws {
            let payload = CommitRecord(timestamp: Timestamp(microsSinceUnixEpoch: 1), delta: delta).encode()
            try payload.withBytes { (b) throws(StoreError) in try replica.replay(payload: b) }
        }
        for step in 0..<400 {
            if tables.count < 3, step % 40 == 0 {
                let (id, delta) = try live.write { tx throws(StoreError) in try tx.createTable(Self.schemas()[tables.count]) }
                tables.append(id)
                try ship(delta)
                continue
            }
            let tx = live.begin()
            for _ in 0..<(1 + rng.next() % 8) {
                let k = Int(rng.next() % UInt64(tables.count))
                let t = tables[k]
                switch rng.next() % 10 {
                case 0..<5: _ = try? tx.insert(t, values: Self.randomRow(k, &rng))
                case 5..<8:
                    var victim: RowId?
                    try tx.scan(t) { id, _ in
                        victim = id
                        return rng.next() % 4 != 0
                    }
                    if let victim { try tx.delete(t, victim) }
                case 8:
                    if k == 0, let pk = try tx.indexId(columns: ["id"], table: t) {
                        var row: [AlgebraicValue]?
                        try tx.scan(t) { _, r in
                            row = decodeRow(playerSchema(), r)
                            return false
                        }
                        if var row {
                            row[2] = .f32(Float(rng.next() % 100))
                            _ = try? tx.update(index: pk, row: bsatn(row))
                        }
                    }
                default: if rng.next() % 5 == 0 { try tx.clear(t) }
                }
            }
            if rng.next() % 5 == 0 {
                tx.rollback()
            } else {
                try ship(try tx.commit())
            }
        }
        #expect(try Self.state(replica) == Self.state(live), "seed \(seed)")
        for t in tables {
            #expect(try replica.read { tx in try tx.schema(t) } == live.read { tx in try tx.schema(t) })
        }
        // The replica keeps working: new tables get fresh ids, auto-increment resumes past every
        // value the live store handed out.
        let maxId = try live.read { tx in try tx.values(tables[0]) }.compactMap { v -> UInt64? in
            if case .product(let f) = v, case .u64(let id) = f[0] { return id }
            return nil
        }.max() ?? 0
        let (rid, _) = try replica.write { tx throws(StoreError) in try tx.insert(tables[0], values: player(0, "fresh")) }
        let fresh = try replica.read { tx in decodeRow(playerSchema(), try tx.row(tables[0], rid)) }
        guard case .u64(let freshId) = fresh[0] else { Issue.record("no id"); return }
        #expect(freshId > maxId, "auto-increment resumed at \(freshId), but \(maxId) was already used")
        let (other, _) = try replica.write { tx throws(StoreError) in
            try tx.createTable(TableSchema(name: "later", columns: [.init("x", .u8)]))
        }
        #expect(other > tables.max()!)
    }

    @Test func malformedPayloadsAreRejected() {
        let good = CommitRecord(timestamp: Timestamp(microsSinceUnixEpoch: 5), delta: TxDelta()).encode()
        for cut in 0..<good.count {
            let e = expectStoreError(.typeMismatch) {
                try Array(good.prefix(cut)).withBytes { (b) throws(StoreError) in _ = try CommitRecord.decode(b) }
            }
            expectContains(e?.message, "malformed commit record")
        }
        let db = Datastore()
        let delta = TxDelta(tables: [TableDelta(tableId: 9999, tableName: "", inserts: RowList([[1]]))])
        expectStoreError(.noSuchTable) { try db.replay(delta) }
        // The payload path (recovery's) rejects truncations of a real record the same way.
        let source = Datastore()
        let (_, create) = try! source.write { tx throws(StoreError) in try tx.createTable(playerSchema()) }
        let payload = CommitRecord(timestamp: .unixEpoch, delta: create).encode()
        for cut in stride(from: 0, to: payload.count, by: 7) {
            let e = expectStoreError(.typeMismatch) {
                try Array(payload.prefix(cut)).withBytes { (b) throws(StoreError) in try Datastore().replay(payload: b) }
            }
            expectContains(e?.message, "malformed commit record")
        }
    }

    @Test func recordRoundTripsWithReducerInfo() throws {
        let record = CommitRecord(
            timestamp: Timestamp(microsSinceUnixEpoch: -3),
            reducer: ReducerCall(name: "move", caller: Identity(limbs: (1, 2, 3, 4)), connectionId: ConnectionId(77), args: [1, 2]),
            delta: TxDelta(tables: [TableDelta(tableId: 4096, tableName: "", inserts: RowList([[1, 2], []]), deletes: RowList([[9]]))]))
        let back = try record.encode().withBytes { (b) throws(StoreError) in try CommitRecord.decode(b) }
        #expect(back == record)
        var noReducer = record
        noReducer.reducer = nil
        noReducer.delta.tables.append(TableDelta(tableId: 5000, tableName: "t", inserts: RowList(), deletes: RowList([[1, 2, 3]])))
        for r in [record, noReducer, CommitRecord(timestamp: Timestamp(microsSinceUnixEpoch: 9), delta: TxDelta())] {
            #expect(r.encodedSize == r.encode().count)
        }
    }
}
