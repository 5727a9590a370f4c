import StarlingTypes

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
    /// Tables by slot (see ``slot(of:)``): array lookups on the hot path instead of hashing.
    private var tableSlots: [Table?] = []
    /// Indexes by id (ids are dense).
    private var indexSlots: [IndexSlot?] = []
    var nextTableId: TableId = SystemTables.firstUserTableId
    var nextIndexId: IndexId = 0
    var nextSequenceId: SequenceId = 0
    var nextConstraintId: ConstraintId = 0

    /// The open mutable transaction, if any.
    var tx: TxState? {
        didSet { openTxId = tx?.id ?? 0 }
    }
    /// The open transaction's id, or 0 (checked on every operation, so kept apart from `tx`).
    private(set) var openTxId: UInt64 = 0
    var txCounter: UInt64 = 0
    /// The epoch of the last ``capture()`` (epochs start at 1; 0 means "not frozen").
    var captureCounter: UInt64 = 0
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

    @inline(__always) func checkOpen(_ id: UInt64) throws(StoreError) {
        guard openTxId == id else {
            throw StoreError(.transactionClosed, "the transaction was already committed or rolled back")
        }
    }

    // MARK: catalog

    var catalogSnapshot: CatalogCounters {
        CatalogCounters(
            nextTableId: nextTableId, nextIndexId: nextIndexId, nextSequenceId: nextSequenceId,
            nextConstraintId: nextConstraintId)
    }

    @inline(__always) func table(_ id: TableId) throws(StoreError) -> Table {
        let s = Datastore.slot(of: id)
        guard s < tableSlots.count, let t = tableSlots[s] else {
            throw StoreError(.noSuchTable, "no table with id \(id)")
        }
        return t
    }

    /// Position of a table id in `tableSlots`: system ids first, then user ids.
    @inline(__always) static func slot(of id: TableId) -> Int {
        id < SystemTables.firstUserTableId ? Int(id) : Int(id - SystemTables.firstUserTableId) + 64
    }

    func table(named name: String) throws(StoreError) -> Table {
        guard let id = tableIdsByName[name], let t = tables[id] else {
            throw .noSuchTable(name, known: Array(tableIdsByName.keys))
        }
        return t
    }

    /// Finds an index by id across all tables.
    func index(_ id: IndexId) throws(StoreError) -> (Table, TableIndex) {
        guard Int(id) < indexSlots.count, let found = indexSlots[Int(id)] else {
            throw StoreError(.noSuchIndex, "no index with id \(id)")
        }
        return (found.table, found.index)
    }

    /// ``index(_:)`` without taking strong references (the hot lookup path; the datastore keeps
    /// both objects alive while their ids are registered).
    @inline(__always) func indexSlot(_ id: IndexId) throws(StoreError) -> IndexSlot {
        guard Int(id) < indexSlots.count, let found = indexSlots[Int(id)] else {
            throw StoreError(.noSuchIndex, "no index with id \(id)")
        }
        return found
    }

    /// Registers a table object (no system rows, no undo): used by bootstrap and createTable.
    func register(_ table: Table) {
        tables[table.id] = table
        tableIdsByName[table.name] = table.id
        let s = Datastore.slot(of: table.id)
        if s >= tableSlots.count { tableSlots += Array(repeating: nil, count: s + 1 - tableSlots.count) }
        tableSlots[s] = table
        for idx in table.indexes {
            let i = Int(idx.id)
            if i >= indexSlots.count { indexSlots += Array(repeating: nil, count: i + 1 - indexSlots.count) }
            indexSlots[i] = IndexSlot(table: table, index: idx)
        }
    }

    /// Makes an index added to a registered table (online migration) reachable by id.
    func registerIndex(_ idx: TableIndex, of table: Table) {
        let i = Int(idx.id)
        if i >= indexSlots.count { indexSlots += Array(repeating: nil, count: i + 1 - indexSlots.count) }
        indexSlots[i] = IndexSlot(table: table, index: idx)
    }

    /// Undoes ``registerIndex(_:of:)``.
    func unregisterIndex(_ id: IndexId) {
        if Int(id) < indexSlots.count { indexSlots[Int(id)] = nil }
    }

    func unregister(_ id: TableId) {
        guard let t = tables.removeValue(forKey: id) else { return }
        tableIdsByName[t.name] = nil
        tableSlots[Datastore.slot(of: id)] = nil
        for idx in t.indexes { indexSlots[Int(idx.id)] = nil }
    }

    // MARK: memory

    /// Bytes held by row pages of every table (free slots included).
    public var pageBytes: Int { tables.values.reduce(0) { $0 + $1.rows.allocatedBytes } }

    /// Bytes held by row pages, per table.
    public var tableBytes: [(name: String, bytes: Int)] { tables.values.map { ($0.name, $0.rows.allocatedBytes) } }
}

/// An index and the table it belongs to.
struct IndexSlot {
    unowned(unsafe) let table: Table
    unowned(unsafe) let index: TableIndex
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
    /// `MutTx.addIndex`: detach the index and restore the table's schema from before.
    case addedIndex(table: TableId, index: IndexId, schema: TableSchema)
    /// `MutTx.addColumns` replaced the table object: register the old one again (it still holds
    /// the rows exactly as they were).
    case replacedTable(Table)
}
