import StarlingTypes

/// The online migrations found in a replayed transaction: tables that existed before it and
/// received new `st_column`, `st_column_default`, `st_index` or `st_constraint` rows
/// (`MutTx.addColumns` / `MutTx.addIndex`).
///
/// Replay repeats them like the live store did, in two steps around the user-table changes:
/// new columns before them (the transaction's rows of that table already have the new width),
/// every existing row extended by the columns' defaults from `st_column_default` or else their
/// zero values (logs written before defaults existed have no such rows); new indexes after them,
/// built over the table's final rows (a unique index then checks exactly the state the live
/// store committed).
struct ReplayedMigrations {
    /// The altered tables, in first-seen order.
    private(set) var tables: [TableId] = []

    /// Whether the transaction altered no table.
    var isEmpty: Bool { tables.isEmpty }

    /// Notes a replayed insert into a system table.
    mutating func note(_ systemTable: TableId, insert row: UnsafeRawBufferPointer, store: Datastore) {
        // The described table's id: column 0 of st_column, column 1 of st_index and st_constraint.
        let offset: Int
        switch systemTable {
        case SystemTables.stColumn, SystemTables.stColumnDefault: offset = 0
        case SystemTables.stIndex, SystemTables.stConstraint: offset = 4
        default: return
        }
        guard row.count >= offset + 4 else { return }
        let owner = TableId(littleEndian: row.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        // Tables created by this transaction are not registered yet: recreateTable builds them whole.
        if store.tables[owner] != nil, !tables.contains(owner) { tables.append(owner) }
    }

    /// Notes every insert of a system table's delta.
    mutating func note(_ d: TableDelta, store: Datastore) {
        for row in d.inserts { row.withUnsafeBytes { note(d.tableId, insert: $0, store: store) } }
    }

    /// Appends the columns the system rows declare beyond the table's current ones, giving every
    /// existing row their recorded defaults or else their zero values.
    func appendColumns(_ store: Datastore) throws(StoreError) {
        for id in tables {
            let t = try store.table(id)
            let rows = SystemRows(store, table: id)
            let target = try rows.schema()
            let old = t.schema.columns
            guard target.columns.count >= old.count, Array(target.columns.prefix(old.count)) == old else {
                throw StoreError(
                    .invalidSchema, "log replay: the columns of table `\(t.name)` changed other than by appending columns")
            }
            guard target.columns.count > old.count else { continue }
            let added = Array(target.columns[old.count...])
            let defaults = try rows.columnDefaults(target, from: old.count)
            store.register(try t.withAppendedColumns(added, suffix: try appendedSuffix(added, defaults: defaults, table: t.name)))
        }
    }

    /// Builds the indexes the system rows declare that the table does not have yet, and adopts
    /// the declared constraints.
    func addIndexes(_ store: Datastore) throws(StoreError) {
        for id in tables {
            let t = try store.table(id)
            let rows = SystemRows(store, table: id)
            let target = try rows.schema()
            let have = Set(t.indexes.map(\.id))
            for (i, indexId) in rows.indexIds.enumerated() where !have.contains(indexId) {
                let built = try t.buildIndex(id: indexId, schema: target.indexes[i])
                t.attachIndex(built)
                store.registerIndex(built, of: t)
                store.nextIndexId = max(store.nextIndexId, indexId + 1)
            }
            t.schema.constraints = target.constraints
            store.nextConstraintId = max(store.nextConstraintId, rows.constraintIds.max().map { $0 + 1 } ?? 0)
        }
    }
}
