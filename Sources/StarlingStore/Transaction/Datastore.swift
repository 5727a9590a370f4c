public import StarlingTypes

/// An in-memory database: tables described by schemas, system tables describing them, and
/// transactions over them.
///
/// A `Datastore` is owned by one writer (the database's executor) and is not thread-safe. Write
/// with ``write(_:)`` (commit on return, roll back on a thrown error) or ``begin()`` /
/// ``MutTx/commit()`` / ``MutTx/rollback()``; read with ``read(_:)``.
///
/// Transactions change tables in place and keep what is needed to undo: the bytes of committed rows
/// they delete, the ids of rows they insert (flagged in the row's slot header), sequence states
/// and created tables. Commit turns that into a ``TxDelta``; rollback restores the committed
/// state. With one writer nobody can observe the in-between state.
public final class Datastore {
    var tables: [TableId: Table] = [:]
    var tableIdsByName: [String: TableId] = [:]
    var indexesById: [IndexId: (Table, TableIndex)] = [:]
    var nextTableId: TableId = SystemTables.firstUserTableId
    var nextIndexId: IndexId = 0
    var nextSequenceId: SequenceId = 0
    var nextConstraintId: ConstraintId = 0

    /// The open mutable transaction, if any.
    var tx: TxState?
    var txCounter: UInt64 = 0
    /// Tables touched by the open transaction, in first-touch order.
    var touched: [Table] = []

    public init() {
        SystemTables.bootstrap(self)
    }

    // MARK: transactions

    /// Starts a mutable transaction. Only one may be open at a time.
    public func begin() -> MutTx {
        precondition(tx == nil, "a mutable transaction is already open on this datastore")
        txCounter += 1
        tx = TxState(id: txCounter, catalog: catalogSnapshot)
        return MutTx(store: self, id: txCounter)
    }

    /// Runs `body` in a mutable transaction: commits if it returns, rolls back if it throws.
    public func write<T, E: Error>(_ body: (MutTx) throws(E) -> T) throws(E) -> (value: T, delta: TxDelta) {
        let tx = begin()
        do {
            let value = try body(tx)
            // `write` owns the transaction, so it is still open here.
            return (value, try! tx.commit())
        } catch {
            tx.rollback()
            throw error
        }
    }

    /// Runs `body` with read access to the committed state.
    public func read<T, E: Error>(_ body: (ReadTx) throws(E) -> T) throws(E) -> T {
        precondition(tx == nil, "read while a mutable transaction is open: read through the MutTx instead")
        return try body(ReadTx(store: self))
    }

    /// Whether a mutable transaction is open.
    public var inTransaction: Bool { tx != nil }

    func checkOpen(_ id: UInt64) throws(StoreError) {
        guard let tx, tx.id == id else {
            throw StoreError(.transactionClosed, "the transaction was already committed or rolled back")
        }
    }

    // MARK: catalog

    var catalogSnapshot: CatalogCounters {
        CatalogCounters(
            nextTableId: nextTableId, nextIndexId: nextIndexId, nextSequenceId: nextSequenceId,
            nextConstraintId: nextConstraintId)
    }

    func table(_ id: TableId) throws(StoreError) -> Table {
        guard let t = tables[id] else { throw StoreError(.noSuchTable, "no table with id \(id)") }
        return t
    }

    func table(named name: String) throws(StoreError) -> Table {
        guard let id = tableIdsByName[name], let t = tables[id] else {
            throw .noSuchTable(name, known: Array(tableIdsByName.keys))
        }
        return t
    }

    /// Finds an index by id across all tables.
    func index(_ id: IndexId) throws(StoreError) -> (Table, TableIndex) {
        guard let found = indexesById[id] else { throw StoreError(.noSuchIndex, "no index with id \(id)") }
        return found
    }

    /// Registers a table object (no system rows, no undo): used by bootstrap and createTable.
    func register(_ table: Table) {
        tables[table.id] = table
        tableIdsByName[table.name] = table.id
        for idx in table.indexes { indexesById[idx.id] = (table, idx) }
    }

    func unregister(_ id: TableId) {
        guard let t = tables.removeValue(forKey: id) else { return }
        tableIdsByName[t.name] = nil
        for idx in t.indexes { indexesById[idx.id] = nil }
    }

    // MARK: memory

    /// Bytes held by row pages of every table (free slots included).
    public var pageBytes: Int { tables.values.reduce(0) { $0 + $1.rows.allocatedBytes } }
}

/// Id counters saved at the start of a transaction (restored on rollback).
struct CatalogCounters {
    var nextTableId: TableId
    var nextIndexId: IndexId
    var nextSequenceId: SequenceId
    var nextConstraintId: ConstraintId
}

/// The undo state of the open mutable transaction (beyond the per-table row lists).
struct TxState {
    let id: UInt64
    let catalog: CatalogCounters
    var undo: [UndoEntry] = []
}

enum UndoEntry {
    case sequence(table: TableId, index: Int, state: SequenceState)
    case createdTable(TableId)
}
