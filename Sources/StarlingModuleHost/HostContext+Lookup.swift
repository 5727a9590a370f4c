import StarlingStore
import StarlingTypes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the imports need to know about an index, resolved once per datastore.
struct IndexInfo {
    let table: TableId
    let isUnique: Bool
    let isBTree: Bool
    let columnTypes: [AlgebraicType]
}

/// Name → id and id → info lookups for the module's tables and indexes.
///
/// Filled from the module's schema the first time a call looks something up, then reused for
/// every call on the same datastore (ids never change while a table lives). ``ModuleHost``
/// clears it when it creates tables; a different datastore also starts a fresh cache. It holds
/// the datastore it describes (so identity comparison is exact).
struct LookupCache {
    var store: Datastore?
    var tables: [(name: [UInt8], id: TableId)] = []
    var indexes: [(name: [UInt8], id: IndexId)] = []
    /// By index id (ids are dense and small).
    var indexInfo: [IndexInfo?] = []
    /// Whether a table has auto-increment columns (so `insert` must write the row back).
    var hasSequences: [TableId: Bool] = [:]
}

extension HostContext {
    /// Makes the cache match `tx`'s datastore, filling it from the schema if it does not.
    @inline(__always) func prepareLookups(_ tx: MutTx) {
        if lookup.store !== tx.store { fillLookups(tx) }
    }

    private func fillLookups(_ tx: MutTx) {
        lookup = LookupCache()
        lookup.store = tx.store
        for t in schemaTables {
            guard let id = try? tx.tableId(t.name) else { continue }
            lookup.tables.append((Array(t.name.utf8), id))
            for i in t.indexes {
                if let iid = try? tx.indexId(i.name, table: id) { lookup.indexes.append((Array(i.name.utf8), iid)) }
            }
        }
    }

    /// The id of the table named by `name` (UTF-8), or nil.
    func tableId(named name: UnsafeRawBufferPointer, _ tx: MutTx) -> TableId? {
        prepareLookups(tx)
        for e in lookup.tables where equal(e.name, name) { return e.id }
        // Tables outside the module's schema (system tables) are found through the store.
        return try? tx.tableId(String(decoding: name, as: UTF8.self))
    }

    /// The id of the index named by `name` (UTF-8), or nil.
    func indexId(named name: UnsafeRawBufferPointer, _ tx: MutTx) -> IndexId? {
        prepareLookups(tx)
        for e in lookup.indexes where equal(e.name, name) { return e.id }
        let text = String(decoding: name, as: UTF8.self)
        guard let all = try? tx.tableNames() else { return nil }
        for t in all { if let id = try? tx.indexId(text, table: t.id) { return id } }
        return nil
    }

    /// What an index is, or nil if there is no such index.
    @inline(__always) func indexInfo(_ id: IndexId, _ tx: MutTx) -> IndexInfo? {
        prepareLookups(tx)
        if Int(id) < lookup.indexInfo.count, let info = lookup.indexInfo[Int(id)] { return info }
        return resolveIndexInfo(id, tx)
    }

    private func resolveIndexInfo(_ id: IndexId, _ tx: MutTx) -> IndexInfo? {
        guard let (table, schema) = try? tx.indexSchema(id), let tableSchema = try? tx.schema(table) else { return nil }
        let info = IndexInfo(
            table: table, isUnique: schema.isUnique, isBTree: schema.algorithm == .btree,
            columnTypes: schema.columns.map { tableSchema.columns[$0].type })
        if Int(id) >= lookup.indexInfo.count {
            lookup.indexInfo += Array(repeating: nil, count: Int(id) + 1 - lookup.indexInfo.count)
        }
        lookup.indexInfo[Int(id)] = info
        return info
    }

    /// Whether inserts into `table` may change the row (auto-increment columns).
    func tableHasSequences(_ table: TableId, _ tx: MutTx) -> Bool {
        prepareLookups(tx)
        if let known = lookup.hasSequences[table] { return known }
        let has = ((try? tx.schema(table))?.sequences.isEmpty == false)
        lookup.hasSequences[table] = has
        return has
    }

    /// How many leading key columns of `info`'s index the BSATN `key` holds, or nil if it is not
    /// a valid key (prefix). The store validates single-column keys itself.
    func keyColumnCount(_ key: UnsafeRawBufferPointer, _ info: IndexInfo) -> Int? {
        let types = info.columnTypes
        if types.count == 1 { return key.isEmpty ? 0 : 1 }
        var r = BSATNReader(key)
        var k = 0
        while !r.isAtEnd {
            guard k < types.count else { return nil }
            do { try r.skip(types[k]) } catch { return nil }
            k += 1
        }
        return k
    }
}

@inline(__always) private func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 }
}
