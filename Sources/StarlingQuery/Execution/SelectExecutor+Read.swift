import StarlingStore
import StarlingTypes

extension SelectExecutor {
    /// Calls `body` with each row its access path yields (decoded), until it returns false.
    func read(
        _ tp: TablePlan, outer: [AlgebraicValue], _ body: (RowId, [AlgebraicValue]) -> Bool
    ) throws(SQLError) {
        try Self.read(reader, tp, outer: outer, body)
    }

    /// ``read(_:outer:_:)`` for callers without an executor (DML).
    static func read(
        _ reader: Reader, _ tp: TablePlan, outer: [AlgebraicValue], _ body: (RowId, [AlgebraicValue]) -> Bool
    ) throws(SQLError) {
        try read(reader, tp, outer: outer) { rid, _, row in body(rid, row) }
    }

    /// ``read(_:outer:_:)`` that also hands over each row's BSATN bytes (valid during the call).
    static func read(
        _ reader: Reader, _ tp: TablePlan, outer: [AlgebraicValue],
        _ body: (RowId, UnsafeRawBufferPointer, [AlgebraicValue]) -> Bool
    ) throws(SQLError) {
        let types = tp.table.schema.columns.map(\.type)
        var corrupt: RowId?
        func visit(_ rid: RowId, _ bytes: UnsafeRawBufferPointer) -> Bool {
            guard let row = decodeRow(bytes, types) else {
                corrupt = rid
                return false
            }
            return body(rid, bytes, row)
        }
        let id = tp.table.id
        switch tp.access {
        case .scan:
            try withStore { () throws(StoreError) in try reader.scan(id, visit) }
        case .seek(let index, let key):
            let values = key.map { resolve($0, outer) }
            // An outer `none` or NaN equals nothing, though the index holds such keys.
            if values.contains(where: matchesNothing) { return }
            let k = IndexKey(values)
            try withStore { () throws(StoreError) in try reader.seek(index.id, k, visit) }
        case .range(let index, let prefix, let lower, let upper):
            let p = prefix.map { resolve($0, outer) }
            if p.contains(where: matchesNothing) { return }
            let type = tp.table.schema.columns[index.schema.columns[p.count]].type
            let lo = bound(p, lower, type, low: true)
            let hi = bound(p, upper, type, low: false)
            try withStore { () throws(StoreError) in try reader.range(index.id, from: lo, to: hi, visit) }
        }
        if let corrupt { throw SQLError(.store, "row \(corrupt) of table `\(tp.table.name)` does not decode") }
    }

    private static func resolve(_ s: KeySource, _ outer: [AlgebraicValue]) -> AlgebraicValue {
        switch s {
        case .value(let v, _): v
        case .column(let c): outer[c.slot]
        }
    }

    /// An index bound: the equality prefix plus the range value. A missing float bound becomes
    /// ±infinity so that NaN keys (which sort beyond the infinities in indexes) stay out, as they
    /// do for comparisons.
    private static func bound(_ prefix: [AlgebraicValue], _ b: RangeBound?, _ type: AlgebraicType, low: Bool)
        -> IndexBound
    {
        if let b {
            return b.inclusive ? .included(IndexKey(prefix + [b.value])) : .excluded(IndexKey(prefix + [b.value]))
        }
        switch type {
        case .f64: return .included(IndexKey(prefix + [.f64(low ? -.infinity : .infinity)]))
        case .f32: return .included(IndexKey(prefix + [.f32(low ? -.infinity : .infinity)]))
        default: return prefix.isEmpty ? .unbounded : .included(IndexKey(prefix))
        }
    }

    /// The column values of a row, or nil if the bytes do not decode.
    static func decodeRow(_ bytes: UnsafeRawBufferPointer, _ types: [AlgebraicType]) -> [AlgebraicValue]? {
        var r = BSATNReader(bytes)
        var out: [AlgebraicValue] = []
        out.reserveCapacity(types.count)
        for t in types {
            guard let v = try? AlgebraicValue.decode(t, from: &r) else { return nil }
            out.append(v)
        }
        return out
    }
}

/// Whether a key value is `none` or NaN, which no comparison with `=` accepts.
private func matchesNothing(_ v: AlgebraicValue) -> Bool {
    switch v {
    case .option(nil): true
    case .option(let x?): matchesNothing(x)
    case .f32(let x): x.isNaN
    case .f64(let x): x.isNaN
    default: false
    }
}
