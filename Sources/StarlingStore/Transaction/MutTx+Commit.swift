#if canImport(Glibc)
import Glibc
#endif

extension MutTx {
    /// Makes the transaction's changes the committed state and returns what changed. Fails with
    /// `transactionClosed` if the transaction already ended.
    @discardableResult
    public func commit() throws(StoreError) -> TxDelta {
        try store.checkOpen(id)
        var delta = TxDelta()
        if store.touched.count > 1 { store.touched.sort { $0.id < $1.id } }
        for t in store.touched {
            // Sized in a first pass: growing two arrays per list row by row cost more than
            // copying the rows.
            var insertBytes = 0
            for rid in t.txInserted where t.rows.contains(rid) { insertBytes &+= t.rows.row(rid).count }
            var inserts = RowList(reservingBytes: insertBytes, rows: t.txInserted.count)
            let needsDedup = t.txDeletedOwn > 0
            var seen = Set<RowId>()
            for rid in t.txInserted where t.rows.contains(rid) && t.rows.isFlagged(rid) {
                if needsDedup, !seen.insert(rid).inserted { continue }
                inserts.append(t.rows.row(rid))
                t.rows.clearFlag(rid)
            }
            var deleteBytes = t.txBefore.bytes.count
            for rid in t.txDeleted { deleteBytes &+= t.rows.row(rid).count }
            var deletes = RowList(reservingBytes: deleteBytes, rows: t.txDeleted.count + t.txUpdated.count)
            for rid in t.txDeleted {
                deletes.append(t.rows.row(rid))
                t.rows.freeTombstone(rid)
            }
            for (i, rid) in t.txUpdated.enumerated() {
                deletes.append(t.txBefore[i])
                // Overwritten, then deleted: still a tombstone (a live one was committed above).
                if !t.rows.contains(rid) { t.rows.freeTombstone(rid) }
            }
            if !inserts.isEmpty && !deletes.isEmpty { cancelIdentical(&inserts, &deletes) }
            if !inserts.isEmpty || !deletes.isEmpty {
                delta.tables.append(TableDelta(tableId: t.id, tableName: t.name, inserts: inserts, deletes: deletes))
            }
            resetTxLists(t)
        }
        store.touched.removeAll(keepingCapacity: true)
        store.tx = nil
        return delta
    }

    /// Undoes every change of the transaction (nothing if it already ended).
    public func rollback() {
        guard let state = store.tx, state.id == id else { return }
        for t in store.touched.reversed() {
            for rid in t.txInserted where t.rows.contains(rid) && t.rows.isFlagged(rid) && !t.rows.isUpdatedInPlace(rid) {
                t.deleteUnchecked(rid)
            }
            for rid in t.txDeleted { t.restoreRow(rid) }
            // Last: an overwritten row deleted later gets its keys back after the rows that took them left.
            for (i, rid) in t.txUpdated.enumerated() {
                t.txBefore[i].withUnsafeBytes { t.restoreOverwritten(rid, $0) }
            }
            resetTxLists(t)
        }
        for entry in state.undo.reversed() {
            switch entry {
            case .sequence(let table, let index, let seq):
                store.tables[table]?.sequences[index] = seq
            case .createdTable(let table):
                store.unregister(table)
            case .addedIndex(let table, let index, let schema):
                store.tables[table]?.detachIndex(index, restoring: schema)
                store.unregisterIndex(index)
            case .replacedTable(let old):
                store.register(old)
            }
        }
        store.nextTableId = state.catalog.nextTableId
        store.nextIndexId = state.catalog.nextIndexId
        store.nextSequenceId = state.catalog.nextSequenceId
        store.nextConstraintId = state.catalog.nextConstraintId
        store.touched.removeAll(keepingCapacity: true)
        store.tx = nil
    }

    private func resetTxLists(_ t: Table) {
        // Keep a modest buffer for the next transaction; give back what a bulk load grew.
        t.txInserted.removeAll(keepingCapacity: t.txInserted.capacity <= 4096)
        t.txDeleted.removeAll(keepingCapacity: t.txDeleted.capacity <= 4096)
        t.txUpdated.removeAll(keepingCapacity: t.txUpdated.capacity <= 4096)
        t.txBefore.removeAll(keepingCapacity: t.txBefore.bytes.capacity <= 1 << 20)
        t.txDeletedOwn = 0
        t.touchedBy = 0
    }
}

/// Removes rows present in both lists (deleted and re-inserted with identical bytes), pairwise.
func cancelIdentical(_ inserts: inout RowList, _ deletes: inout RowList) {
    // Small transactions (the common case: update one row) compare pairwise without hashing.
    if inserts.count * deletes.count <= 16, !anyIdentical(inserts, deletes) { return }
    var deleteCounts: [ArraySlice<UInt8>: Int] = [:]
    for d in deletes { deleteCounts[d, default: 0] += 1 }
    var cancelled: [ArraySlice<UInt8>: Int] = [:]
    var keptInserts = RowList()
    var any = false
    for r in inserts {
        if let n = deleteCounts[r], n > 0 {
            deleteCounts[r] = n - 1
            cancelled[r, default: 0] += 1
            any = true
        } else {
            keptInserts.append(r)
        }
    }
    guard any else { return }
    var keptDeletes = RowList()
    for d in deletes {
        if let n = cancelled[d], n > 0 {
            cancelled[d] = n - 1
        } else {
            keptDeletes.append(d)
        }
    }
    inserts = keptInserts
    deletes = keptDeletes
}

/// Whether some row of `a` has the same bytes as some row of `b` (pairwise; for small lists).
private func anyIdentical(_ a: RowList, _ b: RowList) -> Bool {
    a.bytes.withUnsafeBytes { x in
        b.bytes.withUnsafeBytes { y in
            for i in a.indices {
                let (xs, xe) = a.bounds(i)
                for j in b.indices {
                    let (ys, ye) = b.bounds(j)
                    if xe - xs == ye - ys, memcmp(x.baseAddress! + xs, y.baseAddress! + ys, xe - xs) == 0 { return true }
                }
            }
            return false
        }
    }
}
