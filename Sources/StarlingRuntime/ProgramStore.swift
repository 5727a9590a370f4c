import StarlingDurability
import StarlingStore
import StarlingTypes

/// What the database knows about its module: which program, who published it, and when.
public struct ProgramInfo: Hashable, Sendable {
    /// The database's identity (stable for its lifetime).
    public var databaseIdentity: Identity
    /// Who published the database; only the owner may update or delete it.
    public var owner: Identity
    /// When the current program was published.
    public var publishedAt: Timestamp
    /// The program's size in bytes and CRC32C (to tell versions apart).
    public var size: UInt64
    public var checksum: UInt32
}

/// Keeps the module's program (the wasm bytes) inside the database itself, in two private tables,
/// so a publish or update replaces program and schema in one transaction (atomic, logged,
/// snapshotted and backed up with the data).
enum ProgramStore {
    static let infoTable = "starling_module"
    static let chunkTable = "starling_module_chunk"
    static let chunkSize = 32 << 10

    static let infoSchema = TableSchema(
        name: infoTable,
        columns: [
            ColumnSchema("id", .u8), ColumnSchema("database_identity", .identity), ColumnSchema("owner", .identity),
            ColumnSchema("published_at", .timestamp), ColumnSchema("size", .u64), ColumnSchema("checksum", .u32),
        ], primaryKey: 0, access: .private)
    static let chunkSchema = TableSchema(
        name: chunkTable, columns: [ColumnSchema("seq", .u32), ColumnSchema("data", .bytes)], primaryKey: 0, access: .private)

    /// Whether a table belongs to the runtime rather than the module.
    static func isRuntimeTable(_ name: String) -> Bool { name == infoTable || name == chunkTable }

    /// Creates the program tables (first publish).
    static func createTables(in tx: MutTx) throws(StoreError) {
        _ = try tx.createTable(infoSchema)
        _ = try tx.createTable(chunkSchema)
    }

    /// Replaces the stored program with `wasm`.
    static func write(_ wasm: [UInt8], info: ProgramInfo, in tx: MutTx) throws(StoreError) {
        _ = try tx.clear(try tx.tableId(infoTable))
        let chunks = try tx.tableId(chunkTable)
        _ = try tx.clear(chunks)
        _ = try tx.insert(
            try tx.tableId(infoTable),
            values: [
                .u8(0), .identity(info.databaseIdentity), .identity(info.owner), .timestamp(info.publishedAt),
                .u64(info.size), .u32(info.checksum),
            ])
        var seq: UInt32 = 0
        var start = 0
        while start < wasm.count {
            let end = min(start + chunkSize, wasm.count)
            _ = try tx.insert(chunks, values: [.u32(seq), .bytes(Array(wasm[start..<end]))])
            seq += 1
            start = end
        }
    }

    /// Reads the stored program, or nil if the database has none.
    static func read(_ tx: some StoreReading) throws(StoreError) -> (wasm: [UInt8], info: ProgramInfo)? {
        guard (try? tx.tableId(infoTable)) != nil else { return nil }
        let infoRows = try tx.values(try tx.tableId(infoTable))
        guard case .product(let f)? = infoRows.first, f.count == 6, case .identity(let db) = f[1], case .identity(let owner) = f[2],
            case .timestamp(let at) = f[3], case .u64(let size) = f[4], case .u32(let crc) = f[5]
        else { return nil }
        var chunks: [(UInt32, [UInt8])] = []
        for row in try tx.values(try tx.tableId(chunkTable)) {
            guard case .product(let c) = row, case .u32(let seq) = c[0], case .bytes(let data) = c[1] else { continue }
            chunks.append((seq, data))
        }
        var wasm: [UInt8] = []
        wasm.reserveCapacity(Int(size))
        for (_, data) in chunks.sorted(by: { $0.0 < $1.0 }) { wasm += data }
        let info = ProgramInfo(databaseIdentity: db, owner: owner, publishedAt: at, size: size, checksum: crc)
        return (wasm, info)
    }

    static func checksum(_ wasm: [UInt8]) -> UInt32 { wasm.withUnsafeBytes { CRC32C.checksum($0) } }
}
