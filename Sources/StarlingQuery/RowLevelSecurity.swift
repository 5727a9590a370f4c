/// Row-level security as a module declares it: filters written as queries,
/// `SELECT * FROM t WHERE owner = :sender`, several per table OR-ed (a row is visible when any
/// filter of its table admits it). Tables without a filter are not restricted.
public struct RowLevelSecurity: Sendable, Hashable {
    /// Per table name, one condition: the table's filters OR-ed, with column references
    /// unqualified so that they apply however a query aliases the table.
    public let filters: [String: SQL.Expr]

    /// Parses a module's filters. Each must be `SELECT * FROM t WHERE condition` (or `SELECT t.*`)
    /// on a single table.
    public init(_ sql: [String]) throws(SQLError) {
        var filters: [String: SQL.Expr] = [:]
        for text in sql {
            let statements: [SQL.Statement]
            do { statements = try SQL.parse(text) } catch { throw Self.invalid(text, error.message) }
            guard statements.count == 1, case .select(let s) = statements[0] else {
                throw Self.invalid(text, "a row filter is one `SELECT * FROM t WHERE ...`")
            }
            guard s.joins.isEmpty, s.orderBy.isEmpty, s.limit == nil, let condition = s.filter else {
                throw Self.invalid(text, "a row filter reads one table with a WHERE condition and nothing else")
            }
            switch s.projection {
            case .all: break
            case .items(let items) where items.count == 1 && Self.isAllColumns(items[0], of: s.from.referenceName.text): break
            default: throw Self.invalid(text, "a row filter selects whole rows (`SELECT * FROM \(s.from.name.text)`)")
            }
            let unqualified = Self.unqualify(condition, table: s.from.referenceName.text)
            let table = s.from.name.text
            filters[table] = filters[table].map { .or($0, unqualified) } ?? unqualified
        }
        self.filters = filters
    }

    /// No filters.
    public init() { filters = [:] }

    /// The filters in the form ``QueryContext/rowFilters`` takes.
    public var rowFilters: [String: [SQL.Expr]] { filters.mapValues { [$0] } }

    private static func invalid(_ text: String, _ why: String) -> SQLError {
        SQLError(.invalid, "row-level security filter `\(text)`: \(why)")
    }

    private static func isAllColumns(_ item: SQL.SelectItem, of table: String) -> Bool {
        if case .allColumns(let name) = item { return name.text == table }
        return false
    }

    private static func unqualify(_ e: SQL.Expr, table: String) -> SQL.Expr {
        func operand(_ o: SQL.Operand) -> SQL.Operand {
            guard case .column(var c) = o, c.table?.text == table else { return o }
            c.table = nil
            return .column(c)
        }
        switch e {
        case .comparison(let l, let op, let r, let at): return .comparison(operand(l), op, operand(r), at: at)
        case .isNull(let o, let negated, let at): return .isNull(operand(o), negated: negated, at: at)
        case .and(let a, let b): return .and(unqualify(a, table: table), unqualify(b, table: table))
        case .or(let a, let b): return .or(unqualify(a, table: table), unqualify(b, table: table))
        case .not(let x, let at): return .not(unqualify(x, table: table), at: at)
        case .operand(let o): return .operand(operand(o))
        }
    }
}
