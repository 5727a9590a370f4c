import StarlingStore
import StarlingTypes

/// Schema lookups and row reading: `table_id_from_name` ... `row_iter_close`.
extension HostContext {
    func tableIdFromName(_ m: GuestView, _ namePtr: UInt32, _ nameLen: UInt32, _ out: UInt32) throws(HostTrap) -> ABIErrorCode {
        let name = try m.readable(namePtr, nameLen)
        try m.check(out, 4)
        guard let tx else { return .notInTransaction }
        guard let id = tableId(named: name, tx) else { return .noSuchTable }
        m.storeU32(out, id)
        return .ok
    }

    func indexIdFromName(_ m: GuestView, _ namePtr: UInt32, _ nameLen: UInt32, _ out: UInt32) throws(HostTrap) -> ABIErrorCode {
        let name = try m.readable(namePtr, nameLen)
        try m.check(out, 4)
        guard let tx else { return .notInTransaction }
        guard let id = indexId(named: name, tx) else { return .noSuchIndex }
        m.storeU32(out, id)
        return .ok
    }

    func tableRowCount(_ m: GuestView, _ table: UInt32, _ out: UInt32) throws(HostTrap) -> ABIErrorCode {
        try m.check(out, 8)
        guard let tx else { return .notInTransaction }
        do throws(StoreError) {
            m.storeU64(out, UInt64(try tx.rowCount(table)))
            return .ok
        } catch {
            return ABIErrorCode(error)
        }
    }

    func tableScan(_ m: GuestView, _ table: UInt32, _ out: UInt32) throws(HostTrap) -> ABIErrorCode {
        try m.check(out, 4)
        guard let tx else { return .notInTransaction }
        guard let it = iterators.open(limit: limits.maxOpenIterators) else { return .limitExceeded }
        do throws(StoreError) {
            try tx.scan(table) { _, row in
                it.append(row)
                return true
            }
        } catch {
            iterators.close(it)
            return ABIErrorCode(error)
        }
        m.storeU32(out, it.handle)
        return .ok
    }

    func indexScanPoint(
        _ m: GuestView, _ index: UInt32, _ keyPtr: UInt32, _ keyLen: UInt32, _ out: UInt32
    ) throws(HostTrap) -> ABIErrorCode {
        let key = try m.readable(keyPtr, keyLen)
        try m.check(out, 4)
        guard let it = iterators.open(limit: limits.maxOpenIterators) else { return .limitExceeded }
        let code = seekPoint(index, key) { row in
            it.append(row)
            return true
        }
        guard code == .ok else {
            iterators.close(it)
            return code
        }
        m.storeU32(out, it.handle)
        return .ok
    }

    /// Calls `body` for each row whose key in `index` equals `key` (a prefix on btrees), after
    /// the checks both point imports share; returns the ABI code for the lookup itself.
    private func seekPoint(_ index: UInt32, _ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Bool) -> ABIErrorCode {
        guard let tx else { return .notInTransaction }
        guard let info = indexInfo(index, tx) else { return .noSuchIndex }
        guard let columns = keyColumnCount(key, info) else { return .bsatnDecode }
        if !info.isBTree, columns != info.columnTypes.count { return .bsatnDecode }
        do throws(StoreError) {
            try tx.seek(index, keyBSATN: key, columnCount: columns) { _, row in body(row) }
        } catch {
            return ABIErrorCode(error)
        }
        return .ok
    }

    /// `index_find`: the first row whose key equals `key`, copied straight into the guest's
    /// buffer — a unique lookup in one host call, with no iterator.
    func indexFind(
        _ m: GuestView, _ index: UInt32, _ keyPtr: UInt32, _ keyLen: UInt32, _ bufPtr: UInt32, _ lenPtr: UInt32
    ) throws(HostTrap) -> ABIErrorCode {
        let key = try m.readable(keyPtr, keyLen)
        let capacity = try m.loadU32(lenPtr)
        let buf = try m.bytes(bufPtr, capacity)
        var result = ABIErrorCode.notFound
        let code = seekPoint(index, key) { row in
            if row.count > Int(capacity) {
                result = .bufferTooSmall
            } else {
                if !row.isEmpty { buf.baseAddress!.copyMemory(from: row.baseAddress!, byteCount: row.count) }
                result = .ok
            }
            m.storeU32(lenPtr, UInt32(row.count))
            return false
        }
        return code == .ok ? result : code
    }

    func indexScanRange(
        _ m: GuestView, _ index: UInt32, _ lowerPtr: UInt32, _ lowerLen: UInt32, _ upperPtr: UInt32,
        _ upperLen: UInt32, _ out: UInt32
    ) throws(HostTrap) -> ABIErrorCode {
        let lowerBytes = try m.readable(lowerPtr, lowerLen)
        let upperBytes = try m.readable(upperPtr, upperLen)
        try m.check(out, 4)
        guard let it = iterators.open(limit: limits.maxOpenIterators) else { return .limitExceeded }
        let code = seekRange(index, lowerBytes, upperBytes) { _, row in
            it.append(row)
            return true
        }
        guard code == .ok else {
            iterators.close(it)
            return code
        }
        m.storeU32(out, it.handle)
        return .ok
    }

    /// Calls `body` for each row whose key in `index` lies between the ABI bounds, after the
    /// checks range scans and range deletes share; returns the ABI code for the lookup itself.
    func seekRange(
        _ index: UInt32, _ lowerBytes: UnsafeRawBufferPointer, _ upperBytes: UnsafeRawBufferPointer,
        _ body: (RowId, UnsafeRawBufferPointer) -> Bool
    ) -> ABIErrorCode {
        guard let tx else { return .notInTransaction }
        guard let info = indexInfo(index, tx) else { return .noSuchIndex }
        guard info.isBTree else { return .wrongIndexKind }
        guard let lower = bound(lowerBytes, info), let upper = bound(upperBytes, info) else { return .bsatnDecode }
        do throws(StoreError) {
            try tx.range(index, from: lower, to: upper, body)
        } catch {
            return ABIErrorCode(error)
        }
        return .ok
    }

    /// Decodes an ABI bound: tag 0 inclusive / 1 exclusive + key, or 2 unbounded.
    func bound(_ b: UnsafeRawBufferPointer, _ info: IndexInfo) -> IndexBound? {
        guard let tag = b.first else { return nil }
        let key = UnsafeRawBufferPointer(rebasing: b[1...])
        switch tag {
        case 2: return key.isEmpty ? .unbounded : nil
        case 0, 1:
            guard let columns = keyColumnCount(key, info) else { return nil }
            let k = IndexKey(bsatn: Array(key), columnCount: columns)
            return tag == 0 ? .included(k) : .excluded(k)
        default: return nil
        }
    }

    func rowIterNext(_ m: GuestView, _ handle: UInt32, _ bufPtr: UInt32, _ lenPtr: UInt32) throws(HostTrap) -> ABIErrorCode {
        let capacity = try m.loadU32(lenPtr)
        let buf = try m.bytes(bufPtr, capacity)
        guard let it = iterators.find(handle) else { return .noSuchIter }
        let rowCount = it.rowCount
        let start = it.start(it.next)
        var end = start
        var k = it.next
        while k < rowCount, it.ends[k] - start <= Int(capacity) {
            end = it.ends[k]
            k += 1
        }
        if k == it.next, k < rowCount {
            m.storeU32(lenPtr, UInt32(it.ends[k] - start))
            return .bufferTooSmall
        }
        if end > start { buf.baseAddress!.copyMemory(from: it.bytes + start, byteCount: end - start) }
        m.storeU32(lenPtr, UInt32(end - start))
        it.next = k
        if k == rowCount {
            iterators.close(it)
            return .exhausted
        }
        return .ok
    }

    func rowIterClose(_ handle: UInt32) -> ABIErrorCode {
        guard let it = iterators.find(handle) else { return .noSuchIter }
        iterators.close(it)
        return .ok
    }
}
