import StarlingStore
import StarlingTypes

/// Runs a ``SelectPlan`` against a datastore reader: a pipeline of nested loops over the tables,
/// with hash tables and inner row sets built once, stopping early when a LIMIT without ORDER BY
/// is reached.
final class SelectExecutor<Reader: StoreReading> {
    let reader: Reader
    let plan: SelectPlan
    /// The first error met inside a datastore callback (callbacks cannot throw).
    private var failure: SQLError?
    /// Per table (by position): inner rows keyed by the hash-join key.
    private var hashTables: [Int: [[AlgebraicValue]: [[AlgebraicValue]]]] = [:]
    /// Per table (by position): inner rows of a nested-loop join.
    private var innerRows: [Int: [[AlgebraicValue]]] = [:]

    init(reader: Reader, plan: SelectPlan) {
        self.reader = reader
        self.plan = plan
    }

    /// Every joined row that passes the filters, in pipeline order, until `emit` returns false.
    func run(_ emit: ([AlgebraicValue]) -> Bool) throws(SQLError) {
        for (i, tp) in plan.tables.enumerated() where i > 0 {
            switch tp.join {
            case .hash(_, let inner): hashTables[i] = try buildHashTable(tp, inner)
            case .nestedLoop: innerRows[i] = try collect(tp, outer: [])
            case .first, .indexLookup: break
            }
        }
        let first = plan.tables[0]
        try read(first, outer: []) { _, row in
            guard passes(first.localFilters, row, base: first.table.offset) else { return true }
            return join(1, row, emit)
        }
        if let failure { throw failure }
    }

    /// Joins tables `level...` onto `row`; false once `emit` asked to stop or a failure occurred.
    private func join(_ level: Int, _ row: [AlgebraicValue], _ emit: ([AlgebraicValue]) -> Bool) -> Bool {
        if level == plan.tables.count { return emit(row) }
        let tp = plan.tables[level]
        let matches: [[AlgebraicValue]]
        switch tp.join {
        case .first:
            preconditionFailure("only table 0 is first")
        case .indexLookup:
            do throws(SQLError) {
                matches = try collect(tp, outer: row)
            } catch {
                failure = error
                return false
            }
        case .hash(let outer, _):
            guard let key = Self.hashKey(outer.map { row[$0.slot] }, types: outer.map(\.type), partner: tp.join) else {
                return true
            }
            matches = hashTables[level]?[key] ?? []
        case .nestedLoop:
            matches = innerRows[level] ?? []
        }
        for m in matches {
            let combined = row + m
            guard passes(tp.joinFilters, combined, base: 0) else { continue }
            if !join(level + 1, combined, emit) { return false }
        }
        return true
    }

    @inline(__always) private func passes(_ filters: [BoundExpr], _ row: [AlgebraicValue], base: Int) -> Bool {
        for f in filters where f.evaluate(row, base: base) != true { return false }
        return true
    }

    /// The rows of a table read by its access path that pass its own filters.
    private func collect(_ tp: TablePlan, outer: [AlgebraicValue]) throws(SQLError) -> [[AlgebraicValue]] {
        var out: [[AlgebraicValue]] = []
        try read(tp, outer: outer) { _, row in
            if passes(tp.localFilters, row, base: tp.table.offset) { out.append(row) }
            return true
        }
        return out
    }

    private func buildHashTable(_ tp: TablePlan, _ inner: [ColumnSlot]) throws(SQLError)
        -> [[AlgebraicValue]: [[AlgebraicValue]]]
    {
        var table: [[AlgebraicValue]: [[AlgebraicValue]]] = [:]
        for row in try collect(tp, outer: []) {
            let values = inner.map { row[$0.slot - tp.table.offset] }
            guard let key = Self.hashKey(values, types: inner.map(\.type), partner: tp.join) else { continue }
            table[key, default: []].append(row)
        }
        return table
    }

    /// The key a hash join compares: numbers as i128/u128 (or f64 when the key pair mixes integers
    /// and floats), strings as their bytes; nil when a value is none or NaN (it matches nothing).
    static func hashKey(_ values: [AlgebraicValue], types: [AlgebraicType], partner join: JoinMethod)
        -> [AlgebraicValue]?
    {
        guard case .hash(let outer, let inner) = join else { return nil }
        var key: [AlgebraicValue] = []
        key.reserveCapacity(values.count)
        for (i, v) in values.enumerated() {
            let asFloat = isFloat(outer[i].type) || isFloat(inner[i].type)
            guard let k = canonical(v, asFloat: asFloat) else { return nil }
            key.append(k)
        }
        return key
    }

    private static func isFloat(_ t: AlgebraicType) -> Bool {
        let b = ValueOrder.base(t)
        return b == .f32 || b == .f64
    }

    private static func canonical(_ v: AlgebraicValue, asFloat: Bool) -> AlgebraicValue? {
        switch v {
        case .option(nil): return nil
        case .option(let x?): return canonical(x, asFloat: asFloat)
        case .string(let s): return .bytes(Array(s.utf8))
        default: break
        }
        switch ValueOrder.number(v) {
        case nil: return v
        case .float(let d)?: return d.isNaN ? nil : .f64(d == 0 ? 0 : d)
        case .integer(let negative, let magnitude)?:
            if asFloat {
                let d = Double(magnitude)
                guard d < 0x1p128, UInt128(d) == magnitude else { return nil }
                return .f64(negative ? -d : d)
            }
            if negative { return .i128(magnitude == UInt128(Int128.max) + 1 ? .min : -Int128(magnitude)) }
            return magnitude <= UInt128(Int128.max) ? .i128(Int128(magnitude)) : .u128(magnitude)
        }
    }
}
