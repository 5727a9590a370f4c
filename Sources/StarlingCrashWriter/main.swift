// starling-crash-writer: the child process of the crash tests (not a user tool).
//
//     starling-crash-writer DIR POLICY [MAX_SEGMENT_BYTES]
//
// Opens (recovering) the database in DIR, then commits transactions forever. Transaction i inserts
// kv(k: i, v: 7i, pad) and sets counter(0).n = i, so a partial transaction would show as a kv row
// without its counter (or the reverse). After each commit returns it prints
// "ack <i> <offset> <durable offset or -1>" and flushes, so the test knows what was acknowledged.

import StarlingDatabase
import StarlingDurability
import StarlingStore
import StarlingTypes

import Foundation

let args = CommandLine.arguments
guard args.count >= 3, let policy = FsyncPolicy(rawValue: args[2]) else {
    FileHandle.standardError.write(Data("usage: starling-crash-writer DIR every-commit|batch|off [MAX_SEGMENT_BYTES]\n".utf8))
    exit(2)
}
let segmentSize = args.count > 3 ? Int(args[3]) ?? (256 << 20) : 256 << 20

do {
    let db = try Database.open(directory: args[1], fsync: policy, maxSegmentSize: segmentSize)
    var kv = try? db.store.read { tx throws(StoreError) in try tx.tableId("kv") }
    if kv == nil {
        kv = try db.write { tx throws(StoreError) in
            try tx.createTable(
                TableSchema(name: "counter", columns: [.init("id", .u8), .init("n", .u64)], primaryKey: 0))
            return try tx.createTable(
                TableSchema(
                    name: "kv", columns: [.init("k", .u64), .init("v", .u64), .init("pad", .string)], primaryKey: 0))
        }.value
    }
    let counter = try db.store.read { tx throws(StoreError) in try tx.tableId("counter") }
    let counterPK = try db.store.read { tx throws(StoreError) in try tx.indexId(columns: ["id"], table: counter)! }
    var next = UInt64(try db.store.read { tx throws(StoreError) in try tx.rowCount(kv!) })
    let pad = String(repeating: "x", count: 100)
    while true {
        let i = next
        let (_, _, offset) = try db.write { tx throws(StoreError) in
            try tx.insert(kv!, values: [.u64(i), .u64(i &* 7), .string(pad)])
            let row = AlgebraicValue.product([.u8(0), .u64(i)]).bsatn
            if i == 0 { try tx.insert(counter, row) } else { try tx.update(index: counterPK, row: row) }
        }
        let durable = db.log?.durableOffset.map { String($0) } ?? "-1"
        // One unbuffered write per acknowledgement, so a kill never hides one that was made.
        FileHandle.standardOutput.write(Data("ack \(i) \(offset ?? 0) \(durable)\n".utf8))
        next += 1
    }
} catch {
    FileHandle.standardError.write(Data("starling-crash-writer: \(error)\n".utf8))
    exit(1)
}
