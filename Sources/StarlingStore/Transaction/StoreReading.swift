public import StarlingTypes

/// Read operations shared by ``ReadTx`` and ``MutTx`` (a mutable transaction reads its own writes).
public protocol StoreReading {
    /// The datastore read from.
    var store: Datastore { get }
    /// Fails with `transactionClosed` when this handle may no longer read (a mutable transaction
    /// that ended; a read handle while a mutable transaction is open).
    func checkUsable() throws(StoreError)
}

/// Read access to the committed state. Obtain one with ``Datastore/read(_:)``.
public struct ReadTx: StoreReading {
    public let store: Datastore

    public func checkUsable() throws(StoreError) {
        guard store.openTxId == 0 else {
            throw StoreError(.transactionClosed, "a read handle cannot be used while a mutable transaction is open")
        }
    }
}

extension StoreReading {
    /// The id of the table with this name.
    public func tableId(_ name: String) throws(StoreError) -> TableId {
        try checkUsable()
        return try store.table(named: name).id
    }

    /// The schema of a table.
    public func schema(_ table: TableId) throws(StoreError) -> TableSchema {
        try checkUsable()
        return try store.table(table).schema
    }

    /// The ids and names of every table (system tables included), by id.
    public func tableNames() throws(StoreError) -> [(id: TableId, name: String)] {
        try checkUsable()
        return store.tables.values.map { ($0.id, $0.name) }.sorted { $0.id < $1.id }
    }

    /// The number of rows in a table.
    public func rowCount(_ table: TableId) throws(StoreError) -> Int {
        try checkUsable()
        return try store.table(table).rows.count
    }

    /// The id of an index of a table, by index name.
    public func indexId(_ name: String, table: TableId) throws(StoreError) -> IndexId {
        try checkUsable()
        let t = try store.table(table)
        guard let idx = t.index(named: name) else {
            throw StoreError(
                .noSuchIndex, "index `\(name)` not found on table `\(t.name)`" + didYouMean(name, t.indexes.map(\.schema.name)))
        }
        return idx.id
    }

    /// The id of the index on exactly these columns (by name), if there is one.
    public func indexId(columns: [String], table: TableId) throws(StoreError) -> IndexId? {
        try checkUsable()
        let t = try store.table(table)
        var positions: [Int] = []
        for c in columns {
            guard let p = t.schema.columnIndex(c) else {
                throw .noSuchColumn(c, table: t.name, known: t.schema.columns.map(\.name))
            }
            positions.append(p)
        }
        return t.indexes.first { $0.schema.columns == positions }?.id
    }

    /// The schema of an index and the table it belongs to.
    public func indexSchema(_ index: IndexId) throws(StoreError) -> (table: TableId, schema: IndexSchema) {
        try checkUsable()
        let (t, idx) = try store.index(index)
        return (t.id, idx.schema)
    }

    /// Calls `body` with every row of a table (BSATN bytes, valid only during the call); stop by
    /// returning false.
    public func scan(_ table: TableId, _ body: (RowId, UnsafeRawBufferPointer) -> Bool) throws(StoreError) {
        try checkUsable()
        try store.table(table).rows.forEach(body)
    }

    /// The bytes of a live row.
    public func row(_ table: TableId, _ id: RowId) throws(StoreError) -> [UInt8] {
        try checkUsable()
        let t = try store.table(table)
        guard t.rows.contains(id) else { throw StoreError(.rowNotFound, "\(id) is not a row of table `\(t.name)`") }
        return Array(t.rows.row(id))
    }

    /// Every row of a table as BSATN byte arrays, in storage order.
    public func rows(_ table: TableId) throws(StoreError) -> [[UInt8]] {
        try checkUsable()
        let t = try store.table(table)
        var out: [[UInt8]] = []
        out.reserveCapacity(t.rows.count)
        t.rows.forEach { _, r in
            out.append(Array(r))
            return true
        }
        return out
    }

    /// Every row of a table decoded into values (one `.product` per row).
    public func values(_ table: TableId) throws(StoreError) -> [AlgebraicValue] {
        try checkUsable()
        let t = try store.table(table)
        let type = AlgebraicType.product(t.schema.rowType)
        return try rows(table).map { try! AlgebraicValue.decode(type, from: $0) }
    }

    /// Calls `body` for each row whose key in `index` equals `key` (a prefix on multi-column btrees).
    public func seek(
        _ index: IndexId, _ key: IndexKey, _ body: (RowId, UnsafeRawBufferPointer) -> Bool
    ) throws(StoreError) {
        try checkUsable()
        try key.bsatn.withBytes { (b) throws(StoreError) in
            try seek(index, keyBSATN: b, columnCount: key.columnCount, body)
        }
    }

    /// ``seek(_:_:_:)`` with the key given as BSATN bytes of its first `columnCount` columns
    /// (the form keys arrive in from a module).
    public func seek(
        _ index: IndexId, keyBSATN: UnsafeRawBufferPointer, columnCount: Int = 1,
        _ body: (RowId, UnsafeRawBufferPointer) -> Bool
    ) throws(StoreError) {
        try checkUsable()
        let slot = try store.indexSlot(index)
        if columnCount == 1, slot.index.isUnique, let k = slot.index.compactKey(fromBSATN: keyBSATN) {
            if let id = slot.index.first(compact: k) { _ = body(id, slot.table.rows.row(id)) }
            return
        }
        let (t, idx) = (slot.table, slot.index)
        if columnCount < idx.columnTypes.count, idx.schema.algorithm == .hash {
            throw StoreError(.invalidBound, "hash index `\(idx.schema.name)` needs all \(idx.columnTypes.count) key columns")
        }
        if columnCount == 0 {
            t.rows.forEach(body)
            return
        }
        let k = try idx.key(fromBSATN: keyBSATN, columnCount: columnCount)
        if idx.isUnique, columnCount == idx.columnTypes.count {
            if let id = idx.first(k) { _ = body(id, t.rows.row(id)) }
            return
        }
        idx.forEach(equalTo: k) { id in body(id, t.rows.row(id)) }
    }

    /// Calls `body` for each row whose key in a btree `index` lies between the bounds, ascending.
    public func range(
        _ index: IndexId, from lower: IndexBound, to upper: IndexBound,
        _ body: (RowId, UnsafeRawBufferPointer) -> Bool
    ) throws(StoreError) {
        try checkUsable()
        let (t, idx) = try store.index(index)
        guard idx.schema.algorithm == .btree else {
            throw StoreError(.invalidBound, "index `\(idx.schema.name)` is a hash index: it supports point lookups only")
        }
        let lo = try keyBound(lower, idx)
        let hi = try keyBound(upper, idx)
        idx.forEach(from: lo, to: hi) { id in body(id, t.rows.row(id)) }
    }

    /// Row ids (and bytes) matching a point lookup, collected.
    public func seekRows(_ index: IndexId, _ key: IndexKey) throws(StoreError) -> [[UInt8]] {
        try checkUsable()
        var out: [[UInt8]] = []
        try seek(index, key) { _, r in
            out.append(Array(r))
            return true
        }
        return out
    }

    /// Rows in a range, collected.
    public func rangeRows(_ index: IndexId, from lower: IndexBound, to upper: IndexBound) throws(StoreError) -> [[UInt8]] {
        try checkUsable()
        var out: [[UInt8]] = []
        try range(index, from: lower, to: upper) { _, r in
            out.append(Array(r))
            return true
        }
        return out
    }

    func keyBound(_ b: IndexBound, _ idx: TableIndex) throws(StoreError) -> KeyBound {
        func key(_ k: IndexKey) throws(StoreError) -> TableIndex.Key? {
            if k.columnCount == 0 { return nil }
            return try k.bsatn.withBytes { (b) throws(StoreError) in try idx.key(fromBSATN: b, columnCount: k.columnCount) }
        }
        switch b {
        case .unbounded: return .unbounded
        case .included(let k): return try key(k).map { .included($0) } ?? .unbounded
        case .excluded(let k): return try key(k).map { .excluded($0) } ?? .unbounded
        }
    }
}
