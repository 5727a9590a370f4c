import StarlingStore
import StarlingTypes

/// Row writes: `insert`, `update_by_index`, `delete_by_*`, `table_clear`.
extension HostContext {
    func insert(_ m: GuestView, _ table: UInt32, _ rowPtr: UInt32, _ rowLen: UInt32) throws(HostTrap) -> ABIErrorCode {
        let row = try m.bytes(rowPtr, rowLen)
        guard let tx else { return .notInTransaction }
        do throws(StoreError) {
            let id = try tx.insert(table, UnsafeRawBufferPointer(row))
            if tableHasSequences(table, tx) {
                // Auto-increment columns are fixed-size, so the stored row has the same length.
                let stored = try tx.row(table, id)
                if stored.count == row.count { stored.withUnsafeBytes { row.copyMemory(from: $0) } }
            }
            return .ok
        } catch {
            return ABIErrorCode(error)
        }
    }

    func updateByIndex(_ m: GuestView, _ index: UInt32, _ rowPtr: UInt32, _ rowLen: UInt32) throws(HostTrap) -> ABIErrorCode {
        let row = try m.readable(rowPtr, rowLen)
        guard let tx else { return .notInTransaction }
        guard let info = indexInfo(index, tx) else { return .noSuchIndex }
        guard info.isUnique else { return .indexNotUnique }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(bytes: row)
        do throws(StoreError) {
            // The stored row is the given one (updates apply no sequences), so the module's buffer
            // already holds it: nothing to write back.
            try tx.update(index: index, row: scratch)
            return .ok
        } catch {
            return ABIErrorCode(error)
        }
    }

    func deleteByIndexPoint(
        _ m: GuestView, _ index: UInt32, _ keyPtr: UInt32, _ keyLen: UInt32, _ out: UInt32
    ) throws(HostTrap) -> ABIErrorCode {
        let key = try m.readable(keyPtr, keyLen)
        try m.check(out, 4)
        guard let tx else { return .notInTransaction }
        guard let info = indexInfo(index, tx) else { return .noSuchIndex }
        guard let columns = keyColumnCount(key, info) else { return .bsatnDecode }
        if !info.isBTree, columns != info.columnTypes.count { return .bsatnDecode }
        rowIds.removeAll(keepingCapacity: true)
        do throws(StoreError) {
            try tx.seek(index, keyBSATN: key, columnCount: columns) { id, _ in
                rowIds.append(id)
                return true
            }
            return try deleteCollected(info.table, tx, m, out)
        } catch {
            return ABIErrorCode(error)
        }
    }

    func deleteByIndexRange(
        _ m: GuestView, _ index: UInt32, _ lowerPtr: UInt32, _ lowerLen: UInt32, _ upperPtr: UInt32,
        _ upperLen: UInt32, _ out: UInt32
    ) throws(HostTrap) -> ABIErrorCode {
        let lowerBytes = try m.readable(lowerPtr, lowerLen)
        let upperBytes = try m.readable(upperPtr, upperLen)
        try m.check(out, 4)
        rowIds.removeAll(keepingCapacity: true)
        let code = seekRange(index, lowerBytes, upperBytes) { id, _ in
            rowIds.append(id)
            return true
        }
        guard code == .ok, let tx, let info = indexInfo(index, tx) else { return code }
        do throws(StoreError) {
            return try deleteCollected(info.table, tx, m, out)
        } catch {
            return ABIErrorCode(error)
        }
    }

    /// Deletes the rows collected in ``rowIds`` and stores how many at `out`.
    private func deleteCollected(_ table: TableId, _ tx: MutTx, _ m: GuestView, _ out: UInt32) throws(StoreError) -> ABIErrorCode {
        for id in rowIds { try tx.delete(table, id) }
        m.storeU32(out, UInt32(rowIds.count))
        return .ok
    }

    func deleteByRow(_ m: GuestView, _ table: UInt32, _ rowPtr: UInt32, _ rowLen: UInt32, _ out: UInt32) throws(HostTrap) -> ABIErrorCode {
        let row = try m.readable(rowPtr, rowLen)
        try m.check(out, 4)
        guard let tx else { return .notInTransaction }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(bytes: row)
        do throws(StoreError) {
            let deleted = try tx.delete(table, row: scratch)
            m.storeU32(out, deleted ? 1 : 0)
            return .ok
        } catch {
            return ABIErrorCode(error)
        }
    }

    func tableClear(_ m: GuestView, _ table: UInt32, _ out: UInt32) throws(HostTrap) -> ABIErrorCode {
        try m.check(out, 4)
        guard let tx else { return .notInTransaction }
        do throws(StoreError) {
            let n = try tx.clear(table)
            m.storeU32(out, UInt32(clamping: n))
            return .ok
        } catch {
            return ABIErrorCode(error)
        }
    }
}
