public import StarlingTypes

/// A mutable transaction on a ``Datastore``: reads see its own writes; ``commit()`` yields the
/// ``TxDelta``, ``rollback()`` restores the committed state.
///
/// Every operation fails with `transactionClosed` once the transaction has ended.
public struct MutTx: StoreReading {
    public let store: Datastore
    let id: UInt64

    public func checkUsable() throws(StoreError) { try store.checkOpen(id) }

    // MARK: insert

    /// Inserts a row given as BSATN and returns its id. An auto-increment column holding zero
    /// gets the sequence's next value (read the row back to see it). Inserting a row identical
    /// to an existing one is a no-op that returns the existing row's id.
    @discardableResult
    public func insert(_ table: TableId, _ row: [UInt8]) throws(StoreError) -> RowId {
        try row.withBytes { (b) throws(StoreError) in try insert(table, b) }
    }

    /// Inserts a row given as BSATN bytes (see ``insert(_:_:)-([UInt8])``).
    @discardableResult
    public func insert(_ table: TableId, _ row: UnsafeRawBufferPointer) throws(StoreError) -> RowId {
        try store.checkOpen(id)
        let t = try store.table(table)
        try checkWritable(t)
        return try insertValidated(t, row)
    }

    /// Inserts a row given as values, one per column, checking each against the column's type.
    @discardableResult
    public func insert(_ table: TableId, values: [AlgebraicValue]) throws(StoreError) -> RowId {
        try store.checkOpen(id)
        let t = try store.table(table)
        try checkValues(t, values)
        return try insert(table, AlgebraicValue.product(values).bsatn)
    }

    /// Insert after the table was checked writable (also used for system tables internally).
    func insertValidated(_ t: Table, _ row: UnsafeRawBufferPointer) throws(StoreError) -> RowId {
        guard row.count <= Page.maxRowLength else {
            throw StoreError(.rowTooLarge, "a row of table `\(t.name)` has \(row.count) bytes; the limit is \(Page.maxRowLength)")
        }
        do throws(BSATNError) {
            try t.layout.validate(row)
        } catch {
            throw .typeMismatch(table: t.name, error)
        }
        if t.sequences.isEmpty { return try insertChecked(t, row) }
        var patched = Array(row)
        try applySequences(t, &patched)
        return try patched.withBytes { (b) throws(StoreError) in try insertChecked(t, b) }
    }

    private func insertChecked(_ t: Table, _ row: UnsafeRawBufferPointer) throws(StoreError) -> RowId {
        if t.rowHashes != nil, let same = t.findIdentical(row) { return same }
        switch t.insertIfUnique(row, flagged: true) {
        case .inserted(let rid):
            touch(t)
            t.txInserted.append(rid)
            return rid
        case .conflict(let idx, let other):
            // An identical row is found through any unique index (not only the identity one).
            if t.rows.row(other).hasSameBytes(as: row) { return other }
            throw uniqueViolation(t, idx, row)
        }
    }

    func uniqueViolation(_ t: Table, _ idx: TableIndex, _ row: UnsafeRawBufferPointer) -> StoreError {
        StoreError(
            .uniqueViolation,
            "duplicate key in unique index `\(idx.schema.name)` of table `\(t.name)`: a row with \(t.describeKey(idx, row: row)) already exists"
        )
    }

    func checkWritable(_ t: Table) throws(StoreError) {
        guard t.schema.tableType == .user else {
            throw StoreError(.systemTableReadOnly, "system table `\(t.name)` cannot be written; change the schema instead")
        }
    }

    func checkValues(_ t: Table, _ values: [AlgebraicValue]) throws(StoreError) {
        guard values.count == t.schema.columns.count else {
            throw StoreError(
                .typeMismatch, "table `\(t.name)` has \(t.schema.columns.count) columns, the row has \(values.count) values")
        }
        for (v, c) in zip(values, t.schema.columns) where !v.conforms(to: c.type) {
            throw StoreError(.typeMismatch, "column `\(c.name)` of table `\(t.name)` has type \(c.type); got \(describeValue(v))")
        }
    }

    /// Marks a table as touched by this transaction.
    @inline(__always) func touch(_ t: Table) {
        if t.touchedBy != id {
            t.touchedBy = id
            store.touched.append(t)
        }
    }

    // MARK: delete

    /// Deletes a live row by id.
    public func delete(_ table: TableId, _ row: RowId) throws(StoreError) {
        try store.checkOpen(id)
        let t = try store.table(table)
        try checkWritable(t)
        guard t.rows.contains(row) else { throw StoreError(.rowNotFound, "\(row) is not a row of table `\(t.name)`") }
        deleteUnchecked(t, row)
    }

    func deleteUnchecked(_ t: Table, _ row: RowId) {
        touch(t)
        if t.rows.isUpdatedInPlace(row) {
            // A committed row overwritten by this transaction: a tombstone until commit, like any
            // deleted committed row (its committed bytes are in `txBefore`).
            t.tombstoneRow(row)
        } else if t.rows.isFlagged(row) {
            t.txDeletedOwn += 1
            t.deleteUnchecked(row)
        } else {
            t.txDeleted.append(row)
            t.tombstoneRow(row)
        }
    }

    /// Deletes the row equal to `row` (BSATN); returns whether there was one.
    @discardableResult
    public func delete(_ table: TableId, row: [UInt8]) throws(StoreError) -> Bool {
        try store.checkOpen(id)
        let t = try store.table(table)
        try checkWritable(t)
        let found = try row.withBytes { (b) throws(StoreError) -> RowId? in
            do throws(BSATNError) { try t.layout.validate(b) } catch { throw .typeMismatch(table: t.name, error) }
            return t.findIdentical(b)
        }
        guard let found else { return false }
        deleteUnchecked(t, found)
        return true
    }

    /// Deletes every row whose key in `index` equals `key`; returns how many.
    @discardableResult
    public func delete(index: IndexId, key: IndexKey) throws(StoreError) -> Int {
        var ids: [RowId] = []
        try seek(index, key) { rid, _ in
            ids.append(rid)
            return true
        }
        return try deleteAll(ids, index: index)
    }

    /// Deletes every row whose key in a btree `index` lies between the bounds; returns how many.
    @discardableResult
    public func delete(index: IndexId, from lower: IndexBound, to upper: IndexBound) throws(StoreError) -> Int {
        var ids: [RowId] = []
        try range(index, from: lower, to: upper) { rid, _ in
            ids.append(rid)
            return true
        }
        return try deleteAll(ids, index: index)
    }

    private func deleteAll(_ ids: [RowId], index: IndexId) throws(StoreError) -> Int {
        try store.checkOpen(id)
        let (t, _) = try store.index(index)
        try checkWritable(t)
        for rid in ids { deleteUnchecked(t, rid) }
        return ids.count
    }

    /// Deletes every row of a table; returns how many.
    @discardableResult
    public func clear(_ table: TableId) throws(StoreError) -> Int {
        try store.checkOpen(id)
        let t = try store.table(table)
        try checkWritable(t)
        var ids: [RowId] = []
        ids.reserveCapacity(t.rows.count)
        t.rows.forEach { rid, _ in
            ids.append(rid)
            return true
        }
        for rid in ids { deleteUnchecked(t, rid) }
        return ids.count
    }

    // MARK: update

    /// Replaces the row that has the same key as `row` in the unique `index` with `row`; returns
    /// the new row's id (the same id when the new row is as long and keeps every index key: it is
    /// then written in place). Fails with `rowNotFound` if no row has that key.
    @discardableResult
    public func update(index: IndexId, row: [UInt8]) throws(StoreError) -> RowId {
        try store.checkOpen(id)
        let (t, idx) = try store.index(index)
        try checkWritable(t)
        guard idx.isUnique else {
            throw StoreError(.invalidBound, "index `\(idx.schema.name)` is not unique: update needs a unique index")
        }
        return try row.withBytes { (b) throws(StoreError) -> RowId in
            try updateValidated(t, idx, b)
        }
    }

    func updateValidated(_ t: Table, _ idx: TableIndex, _ b: UnsafeRawBufferPointer) throws(StoreError) -> RowId {
        do throws(BSATNError) { try t.layout.validate(b) } catch { throw .typeMismatch(table: t.name, error) }
        guard let old = idx.first(idx.key(ofRow: b)) else {
            throw StoreError(.rowNotFound, "no row in table `\(t.name)` with \(t.describeKey(idx, row: b)) to update")
        }
        if t.rows.row(old).hasSameBytes(as: b) { return old }
        for other in t.indexes where other.isUnique && other !== idx {
            if let clash = other.first(other.key(ofRow: b)), clash != old { throw uniqueViolation(t, other, b) }
        }
        if t.rowHashes == nil {
            // Same length and keys (a balance, a position): written in place, no index changes.
            touch(t)
            if t.overwriteKeepingKeys(old, with: b) { return old }
        }
        if t.rowHashes == nil, !t.rows.isFlagged(old) {
            // A committed row: tombstoned and replaced in one step (unchanged unique keys are
            // re-pointed rather than removed and re-inserted).
            touch(t)
            t.txDeleted.append(old)
            let rid = t.replaceRow(old, with: b)
            t.txInserted.append(rid)
            return rid
        }
        deleteUnchecked(t, old)
        let rid = t.insertUnchecked(b, flagged: true)
        t.txInserted.append(rid)
        return rid
    }
}
