import StarlingTypes

// The table-level steps of online schema migrations (`MutTx+Migration.swift`), shared with log
// replay (`Datastore+ReplayMigration.swift`) so both build exactly the same state.

extension Table {
    /// Builds a new index over the table's live rows without attaching it. A unique index on rows
    /// that repeat a key fails with `uniqueViolation` naming the index and the key; the table is
    /// unchanged either way.
    func buildIndex(id: IndexId, schema: IndexSchema) throws(StoreError) -> TableIndex {
        let idx = TableIndex(id: id, schema: schema, layout: layout)
        if idx.isUnique { idx.reserve(rows.count) }
        var clash: RowId?
        rows.forEach { rid, row in
            let key = idx.key(ofRow: row)
            if idx.isUnique, idx.first(key) != nil {
                clash = rid
                return false
            }
            idx.insert(key, rid)
            return true
        }
        if let clash {
            throw StoreError(
                .uniqueViolation,
                "cannot add unique index `\(schema.name)` to table `\(name)`: several rows have \(describeKey(idx, row: rows.row(clash))); remove the duplicates first or make the index non-unique"
            )
        }
        return idx
    }

    /// A copy of this table with `columns` appended to its schema and every live row extended by
    /// `suffix` (the BSATN of one value per new column). It keeps the table id, index ids and
    /// sequence states; rows are stored unflagged (the caller ensures none are uncommitted) and
    /// the indexes are rebuilt, with unchanged column positions.
    func withAppendedColumns(_ columns: [ColumnSchema], suffix: [UInt8]) throws(StoreError) -> Table {
        var s = schema
        s.columns += columns
        let t = Table(id: id, schema: s, indexIds: indexes.map(\.id), sequenceIds: sequences.map(\.id))
        t.sequences = sequences
        for idx in t.indexes { idx.reserve(rows.count) }
        var buffer: [UInt8] = []
        try t.bulkLoad { (body) throws(StoreError) in
            try rows.forEach { (_, row) throws(StoreError) -> Bool in
                buffer.removeAll(keepingCapacity: true)
                buffer.append(contentsOf: row)
                buffer.append(contentsOf: suffix)
                guard buffer.count <= Page.maxRowLength else {
                    throw StoreError(
                        .rowTooLarge,
                        "adding columns to table `\(name)` would make a row \(buffer.count) bytes long; the limit is \(Page.maxRowLength)"
                    )
                }
                try buffer.withBytes { (b) throws(StoreError) in try body(b) }
                return true
            }
        }
        return t
    }
}

/// The value every existing row receives in a column added by a migration: integers and floats 0,
/// `false`, `""`, empty bytes and arrays, `none`, a product of its fields' zero values, a sum's
/// variant 0 with its payload's zero value, zero identities, connection ids, timestamps and
/// durations, and `ScheduleAt.interval(0)`. Nil for a type without values (a sum with no variants,
/// or a product or sum containing one).
func zeroValue(of type: AlgebraicType) -> AlgebraicValue? {
    switch type {
    case .bool: .bool(false)
    case .i8: .i8(0)
    case .u8: .u8(0)
    case .i16: .i16(0)
    case .u16: .u16(0)
    case .i32: .i32(0)
    case .u32: .u32(0)
    case .i64: .i64(0)
    case .u64: .u64(0)
    case .i128: .i128(0)
    case .u128: .u128(0)
    case .f32: .f32(0)
    case .f64: .f64(0)
    case .string: .string("")
    case .bytes: .bytes([])
    case .array: .array([])
    case .option: .option(nil)
    case .product(let p):
        zeroFields(p.fields.map(\.type)).map { .product($0) }
    case .sum(let s):
        s.variants.first.flatMap { v in zeroValue(of: v.type).map { .sum(tag: 0, value: $0) } }
    case .identity: .identity(.zero)
    case .connectionId: .connectionId(.zero)
    case .timestamp: .timestamp(Timestamp(microsSinceUnixEpoch: 0))
    case .timeDuration: .timeDuration(TimeDuration(micros: 0))
    case .scheduleAt: .scheduleAt(.interval(TimeDuration(micros: 0)))
    }
}

private func zeroFields(_ types: [AlgebraicType]) -> [AlgebraicValue]? {
    var out: [AlgebraicValue] = []
    for t in types {
        guard let z = zeroValue(of: t) else { return nil }
        out.append(z)
    }
    return out
}

/// The BSATN appended to every existing row when `columns` are added: for each column in order,
/// its value in `defaults` (by column name; the caller checked it has the column's type) or else
/// its zero value. Fails with `invalidSchema` for a column without default whose type has no value.
func appendedSuffix(_ columns: [ColumnSchema], defaults: [String: AlgebraicValue] = [:], table: String) throws(StoreError) -> [UInt8] {
    var w = BSATNWriter(capacity: 16 * columns.count)
    for c in columns {
        if let d = defaults[c.name] {
            d.encode(to: &w)
            continue
        }
        guard let z = zeroValue(of: c.type) else {
            throw StoreError(
                .invalidSchema,
                "table `\(table)`: column `\(c.name)` cannot be added: its type \(c.type) has no values, so existing rows get no default"
            )
        }
        z.encode(to: &w)
    }
    return w.bytes
}
