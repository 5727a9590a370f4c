import StarlingTypes

/// A table's rows with its indexes, unique constraints and sequences.
///
/// Tables are sets: inserting a row equal to an existing one is a no-op. Tables with a unique
/// index find duplicates through it; the others keep a hash of every row (``rowHashes``).
final class Table {
    let id: TableId
    /// The table's schema; online migrations (`MutTx.addIndex`) extend its indexes and constraints.
    var schema: TableSchema
    let layout: RowLayout
    let rows = RowStore()
    private(set) var indexes: [TableIndex] = [] {
        didSet { hotIndexes = indexes.map { Unmanaged.passUnretained($0) } }
    }
    /// ``indexes`` without reference counting, for the insert path (the array keeps them alive).
    private var hotIndexes: [Unmanaged<TableIndex>] = []
    /// The unique index used to detect duplicate rows (the primary key's when there is one).
    private(set) var identityIndex: TableIndex?
    /// Row hash → rows, only for tables without a unique index.
    private(set) var rowHashes: HashIndexMap<Int>?
    var sequences: [SequenceState] = []

    // The open transaction's changes to this table (see Datastore).
    /// The transaction that last touched this table.
    var touchedBy: UInt64 = 0
    /// Rows inserted by the open transaction (may contain ids since deleted or reused).
    var txInserted: [RowId] = []
    /// Committed rows deleted by the open transaction (tombstones until commit).
    var txDeleted: [RowId] = []
    /// How many rows the open transaction inserted and then deleted again.
    var txDeletedOwn = 0
    /// Committed rows the open transaction overwrote in place (``overwriteKeepingKeys(_:with:)``),
    /// each once; their committed bytes are `txBefore[i]`. Such a row is flagged (and listed in
    /// `txInserted`) while live; deleted afterwards, it becomes a tombstone holding the newer bytes.
    var txUpdated: [RowId] = []
    var txBefore = RowList()

    init(id: TableId, schema: TableSchema, indexIds: [IndexId], sequenceIds: [SequenceId]) {
        self.id = id
        self.schema = schema
        layout = RowLayout(schema.rowType)
        for (i, s) in schema.indexes.enumerated() {
            indexes.append(TableIndex(id: indexIds[i], schema: s, layout: layout))
        }
        hotIndexes = indexes.map { Unmanaged.passUnretained($0) }  // observers do not run in init
        let pkIndex = schema.primaryKey.flatMap { pk in indexes.first { $0.isUnique && $0.schema.columns == [pk] } }
        identityIndex = pkIndex ?? indexes.first { $0.isUnique }
        if identityIndex == nil { rowHashes = HashIndexMap() }
        sequences = schema.sequences.enumerated().map { i, s in
            SequenceState(id: sequenceIds[i], schema: s, type: schema.columns[s.column].type)
        }
    }

    var name: String { schema.name }

    /// An existing row with exactly these bytes, if any.
    func findIdentical(_ row: UnsafeRawBufferPointer) -> RowId? {
        if let idx = identityIndex {
            guard let id = idx.first(idx.key(ofRow: row)) else { return nil }
            return rows.row(id).hasSameBytes(as: row) ? id : nil
        }
        var found: RowId?
        rowHashes!.forEach(equalTo: Table.hash(row)) { id in
            if rows.row(id).hasSameBytes(as: row) { found = id }
            return found == nil
        }
        return found
    }

    /// Stores a validated row unless a unique index already holds its key; then returns that
    /// index and the row holding the key, leaving the table unchanged.
    ///
    /// Unique indexes on compact keys claim the key in their hash map right *after* their ordered
    /// storage is updated (undone on a conflict, which is rare): the hash slot is prefetched
    /// first, so its cache miss overlaps the btree descent instead of adding to it. Other unique
    /// indexes are checked before anything changes.
    func insertIfUnique(_ row: UnsafeRawBufferPointer, flagged: Bool) -> InsertOutcome {
        let hot = hotIndexes
        for i in hot.indices {
            let other: RowId? = hot[i]._withUnsafeGuaranteedRef { idx in
                if idx.claimsKeys {
                    idx.prefetchClaim(row)
                    return nil
                }
                return idx.isUnique ? idx.first(idx.key(ofRow: row)) : nil
            }
            if let other { return .conflict(indexes[i], other) }
        }
        let id = rows.insert(row, flagged: flagged)
        let stored = rows.row(id)
        for i in hot.indices {
            let other: RowId? = hot[i]._withUnsafeGuaranteedRef { idx in
                let key = idx.key(ofRow: stored)
                idx.insertOrdered(key, id)
                return idx.claimsKeys ? idx.claim(key, id) : nil
            }
            guard let other else { continue }
            let idx = indexes[i]
            // Undo: this index's entry, and the entries and claims of the indexes before it.
            for j in 0...i {
                let earlier = indexes[j]
                let k = earlier.key(ofRow: stored)
                earlier.removeOrdered(k, id)
                if j < i, earlier.claimsKeys { earlier.unclaim(k, id) }
            }
            rows.delete(id)
            return .conflict(idx, other)
        }
        rowHashes?.insert(Table.hash(stored), id)
        return .inserted(id)
    }

    /// What ``insertIfUnique(_:flagged:)`` did.
    enum InsertOutcome {
        case inserted(RowId)
        /// `index` already maps the row's key to `row`.
        case conflict(TableIndex, RowId)
    }

    /// Loads rows into an empty table at once: rows into pages as they arrive, then every index
    /// filled from all its (key, row) pairs (``TableIndex/bulkFill(_:)``: btrees built bottom-up,
    /// unique hash maps in one sorted sweep). `validate: false` trusts the rows to be valid
    /// values of the row type (a checksummed snapshot written from this table's rows). Fails (the
    /// table is then unusable) if a unique key repeats.
    func bulkLoad(
        expectedRows: Int = 0, validate: Bool = true,
        _ source: ((UnsafeRawBufferPointer) throws(StoreError) -> Void) throws(StoreError) -> Void
    ) throws(StoreError) {
        precondition(rows.count == 0, "bulk load into a non-empty table")
        let indexes = self.indexes
        var compact: [[(key: UInt64, value: RowId)]] = indexes.map { _ in [] }
        var general: [[(key: ByteKey, value: RowId)]] = indexes.map { _ in [] }
        for (i, idx) in indexes.enumerated() where expectedRows > 0 {
            if idx.usesU64 { compact[i].reserveCapacity(expectedRows) } else { general[i].reserveCapacity(expectedRows) }
        }
        try source { (row) throws(StoreError) in
            if validate {
                do throws(BSATNError) { try layout.validate(row) } catch { throw .typeMismatch(table: name, error) }
            }
            let id = rows.insert(row, flagged: false)
            let stored = rows.row(id)
            for i in indexes.indices {
                switch indexes[i].key(ofRow: stored) {
                case .u64(let k): compact[i].append((k, id))
                case .bytes(let k): general[i].append((k, id))
                }
            }
            rowHashes?.insert(Table.hash(stored), id)
        }
        for (i, idx) in indexes.enumerated() {
            let filled = idx.usesU64 ? idx.bulkFill(&compact[i]) : idx.bulkFill(&general[i])
            compact[i] = []
            general[i] = []
            if !filled {
                throw StoreError(.uniqueViolation, "bulk load: a key of unique index `\(idx.schema.name)` of `\(name)` repeats")
            }
        }
    }

    /// Stores a validated row that violates no constraint and adds it to every index.
    func insertUnchecked(_ row: UnsafeRawBufferPointer, flagged: Bool) -> RowId {
        let id = rows.insert(row, flagged: flagged)
        let stored = rows.row(id)
        for idx in indexes { idx.insert(idx.key(ofRow: stored), id) }
        rowHashes?.insert(Table.hash(stored), id)
        return id
    }

    /// Removes a live row from the indexes and frees its slot.
    func deleteUnchecked(_ id: RowId) {
        let row = rows.row(id)
        for idx in indexes { idx.remove(idx.key(ofRow: row), id) }
        rowHashes?.remove(Table.hash(row), id)
        rows.delete(id)
    }

    /// Takes a committed row out of the indexes and scans, keeping its slot (see ``Page``).
    func tombstoneRow(_ id: RowId) {
        let row = rows.row(id)
        for idx in indexes { idx.remove(idx.key(ofRow: row), id) }
        rowHashes?.remove(Table.hash(row), id)
        rows.tombstone(id)
    }

    /// Replaces the committed row `old` by `row` in one step: `row` is stored as a new
    /// (flagged) row and `old` is tombstoned, exactly as ``tombstoneRow(_:)`` followed by
    /// ``insertUnchecked(_:flagged:)`` would leave them (commit and rollback treat the pair as a
    /// delete and an insert), but a unique index whose key is unchanged has its entry re-pointed
    /// instead of removed and inserted again. For tables without ``rowHashes``.
    func replaceRow(_ old: RowId, with row: UnsafeRawBufferPointer) -> RowId {
        precondition(rowHashes == nil, "replaceRow on a table that tracks row hashes")
        let id = rows.insert(row, flagged: true)
        // Both read after the insert: nothing writes the pages again until the tombstone below.
        let stored = rows.row(id)
        let previous = rows.row(old)
        for i in hotIndexes.indices {
            hotIndexes[i]._withUnsafeGuaranteedRef { idx in
                let key = idx.key(ofRow: stored)
                let oldKey = idx.key(ofRow: previous)
                if idx.isUnique, key == oldKey {
                    idx.replace(key, old, with: id)
                } else {
                    idx.remove(oldKey, old)
                    idx.insert(key, id)
                }
            }
        }
        rows.tombstone(old)
        return id
    }

    /// Writes `row` over the live row `id` if it is as long and has the same key in every index,
    /// so that no index changes; returns false (changing nothing) otherwise. The first time the
    /// open transaction does this to a committed row, the row's committed bytes are kept in
    /// ``txBefore`` and it is flagged as the transaction's own (commit then reports the pair as a
    /// delete and an insert; rollback writes the old bytes back). For tables without ``rowHashes``.
    func overwriteKeepingKeys(_ id: RowId, with row: UnsafeRawBufferPointer) -> Bool {
        let current = rows.row(id)
        guard current.count == row.count else { return false }
        for i in hotIndexes.indices {
            let same = hotIndexes[i]._withUnsafeGuaranteedRef { $0.key(ofRow: current) == $0.key(ofRow: row) }
            if !same { return false }
        }
        let flags = rows.flags(id)
        if flags & Page.txFlag != 0 {
            rows.overwrite(id, with: row, flags: flags)
        } else {
            txUpdated.append(id)
            txBefore.append(current)
            txInserted.append(id)
            rows.overwrite(id, with: row, flags: Page.txFlag | Page.inPlaceFlag)
        }
        return true
    }

    /// Rollback of ``overwriteKeepingKeys(_:with:)``: the committed bytes back into the row
    /// (a tombstone again a live row in every index).
    func restoreOverwritten(_ id: RowId, _ committed: UnsafeRawBufferPointer) {
        let deleted = !rows.contains(id)
        if deleted { rows.restore(id) }
        rows.overwrite(id, with: committed, flags: 0)
        if deleted {
            let row = rows.row(id)
            for idx in indexes { idx.insert(idx.key(ofRow: row), id) }
        }
    }

    /// Undoes ``tombstoneRow(_:)``.
    func restoreRow(_ id: RowId) {
        rows.restore(id)
        let row = rows.row(id)
        for idx in indexes { idx.insert(idx.key(ofRow: row), id) }
        rowHashes?.insert(Table.hash(row), id)
    }

    /// Drops every row (indexes included).
    func removeAllRows() {
        for idx in indexes { idx.removeAll() }
        rowHashes?.removeAll()
        rows.removeAll()
    }

    func index(named name: String) -> TableIndex? { indexes.first { $0.schema.name == name } }

    /// Adds an index built over the table's rows (see ``buildIndex(id:schema:)``) to the indexes
    /// maintained on every change and to the schema. The set semantics stay with
    /// ``identityIndex`` / ``rowHashes`` as they were (both detect identical rows correctly).
    func attachIndex(_ idx: TableIndex) {
        indexes.append(idx)
        schema.indexes.append(idx.schema)
    }

    /// Undoes ``attachIndex(_:)``: drops the index and restores the schema from before.
    func detachIndex(_ id: IndexId, restoring previous: TableSchema) {
        indexes.removeAll { $0.id == id }
        schema = previous
    }

    static func hash(_ row: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: row)
        return h.finalize()
    }

    /// A human description of a row's key in `index`, for error messages.
    func describeKey(_ index: TableIndex, row: UnsafeRawBufferPointer) -> String {
        let values = index.schema.columns.map { c -> String in
            var r = BSATNReader(row, position: layout.offset(of: c, in: row))
            let v = try? AlgebraicValue.decode(schema.columns[c].type, from: &r)
            return "\(schema.columns[c].name) = \(v.map(describeValue) ?? "?")"
        }
        return values.joined(separator: ", ")
    }
}

/// A short human rendering of a value for messages.
func describeValue(_ v: AlgebraicValue) -> String {
    switch v {
    case .bool(let x): "\(x)"
    case .i8(let x): "\(x)"
    case .u8(let x): "\(x)"
    case .i16(let x): "\(x)"
    case .u16(let x): "\(x)"
    case .i32(let x): "\(x)"
    case .u32(let x): "\(x)"
    case .i64(let x): "\(x)"
    case .u64(let x): "\(x)"
    case .i128(let x): "\(x)"
    case .u128(let x): "\(x)"
    case .f32(let x): "\(x)"
    case .f64(let x): "\(x)"
    case .string(let s): "\"\(s)\""
    case .identity(let i): "0x" + i.hexString
    case .connectionId(let c): "0x" + c.hexString
    case .timestamp(let t): "\(t.microsSinceUnixEpoch)µs"
    case .timeDuration(let d): "\(d.micros)µs"
    default: "\(v)"
    }
}
