import StarlingDatabase
import StarlingModuleHost
import StarlingStore
import StarlingTypes

extension ModuleDatabase {
    /// Turns the restored copy of a database in `options.directory` (a backup's snapshot and log)
    /// into a new database: opens it (recovery checks every file), makes `owner` its owner and
    /// `identity` its identity in one logged transaction, and closes it again. The module and
    /// the data stay as they were in the backup.
    public static func adoptRestoredCopy(options: RuntimeOptions, owner: Identity, identity: Identity) throws(RuntimeError) {
        let db = try open(options: options)
        var info = db.info
        info.owner = owner
        info.databaseIdentity = identity
        let (result, call) = db.transaction("__restore__", caller: owner) { (tx) throws(StoreError) in
            try ProgramStore.writeInfo(info, in: tx)
        }
        let closed = Result { () throws(RuntimeError) in try db.close() }
        if case .failure(let e) = result { throw RuntimeError(.storage, "restore: \(e.message)") }
        if let message = call.outcome.message { throw RuntimeError(.storage, "restore: \(message)") }
        try closed.get()
    }
}

extension ProgramStore {
    /// Replaces the program's info row (owner, identity, ...) without touching the program.
    static func writeInfo(_ info: ProgramInfo, in tx: MutTx) throws(StoreError) {
        let table = try tx.tableId(infoTable)
        _ = try tx.clear(table)
        _ = try tx.insert(
            table,
            values: [
                .u8(0), .identity(info.databaseIdentity), .identity(info.owner), .timestamp(info.publishedAt),
                .u64(info.size), .u32(info.checksum),
            ])
    }
}
