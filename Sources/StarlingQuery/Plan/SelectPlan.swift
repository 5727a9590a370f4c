import StarlingTypes

/// Where a key column's value comes from in an index lookup.
enum KeySource: Hashable, Sendable {
    /// A constant from the query.
    case value(AlgebraicValue, LiteralOrigin)
    /// A column of a table joined earlier (index nested-loop join).
    case column(ColumnSlot)

    var sql: String {
        switch self {
        case .value(let v, _): v.sqlLiteral
        case .column(let c): c.display
        }
    }
}

/// One end of an index range.
struct RangeBound: Hashable, Sendable {
    var value: AlgebraicValue
    var inclusive: Bool
    var origin: LiteralOrigin
}

/// How the rows of one table are read.
enum AccessPath: Hashable, Sendable {
    /// Every row, in storage order.
    case scan
    /// Rows whose leading index columns equal `key` (a prefix of a btree index, or all columns of
    /// a hash index).
    case seek(IndexInfo, key: [KeySource])
    /// Rows whose leading index columns equal `prefix` and whose next column lies between the bounds.
    case range(IndexInfo, prefix: [KeySource], lower: RangeBound?, upper: RangeBound?)

    /// Whether the key reads columns of tables joined earlier (then it is evaluated per outer row).
    var readsOuterRow: Bool {
        let keys: [KeySource]
        switch self {
        case .scan: return false
        case .seek(_, let k): keys = k
        case .range(_, let p, _, _): keys = p
        }
        return keys.contains { if case .column = $0 { true } else { false } }
    }
}

/// How a table is joined onto the rows of the tables before it.
enum JoinMethod: Hashable, Sendable {
    /// The first table.
    case first
    /// The access path is an index lookup keyed by the outer row.
    case indexLookup
    /// The table's rows (after its own filters) are hashed on `inner`, probed with `outer`.
    case hash(outer: [ColumnSlot], inner: [ColumnSlot])
    /// Every outer row with every row of the table (then filtered).
    case nestedLoop
}

/// The plan for one table of a query.
struct TablePlan: Sendable {
    var table: BoundTable
    var access: AccessPath
    var join: JoinMethod
    /// Conditions on this table's columns alone, checked on each of its rows.
    var localFilters: [BoundExpr]
    /// Conditions that need this table and earlier ones, checked on the joined row.
    var joinFilters: [BoundExpr]
}

/// One column of a SELECT's result.
struct OutputColumn: Sendable {
    var slot: Int
    var name: String
    var type: AlgebraicType
}

/// What a SELECT yields per joined row.
enum PlanOutput: Sendable {
    case columns([OutputColumn])
    case count(name: String)
}

/// An ORDER BY key.
struct SortKey: Sendable {
    var slot: Int
    var descending: Bool
    var display: String
}

/// A planned SELECT: a left-deep pipeline of tables in FROM/JOIN order, then sort, limit, output.
struct SelectPlan: Sendable {
    var tables: [TablePlan]
    var output: PlanOutput
    var order: [SortKey]
    var limit: UInt64?
}
