public import StarlingStore
import StarlingTypes

/// Runs SQL statements against a datastore transaction.
///
/// ```swift
/// let results = try QueryEngine.execute(SQL.parse(text), in: tx, context: .owner(me))
/// ```
///
/// Statements run in order in the given transaction, so a SELECT sees earlier statements' writes.
/// The caller commits; if a statement fails, earlier statements' writes are still in the
/// transaction, so roll it back to keep the statements atomic.
public enum QueryEngine {
    /// Runs statements in a write transaction; INSERT, UPDATE and DELETE need ``QueryContext/isOwner``.
    public static func execute(_ statements: [SQL.Statement], in tx: MutTx, context: QueryContext) throws(SQLError)
        -> [QueryResult]
    {
        var results: [QueryResult] = []
        for s in statements {
            switch s {
            case .insert(let insert): results.append(try runInsert(insert, tx, context))
            case .update(let update): results.append(try runUpdate(update, tx, context))
            case .delete(let delete): results.append(try runDelete(delete, tx, context))
            case .select, .explain: results.append(try read(s, tx, context))
            }
        }
        return results
    }

    /// Parses and runs `text` in a write transaction (see ``execute(_:in:context:)``).
    public static func execute(_ text: String, in tx: MutTx, context: QueryContext) throws(SQLError) -> [QueryResult] {
        try execute(try SQL.parse(text), in: tx, context: context)
    }

    /// Runs read-only statements (SELECT, EXPLAIN) on any reader; refuses INSERT, UPDATE and DELETE.
    public static func query(_ statements: [SQL.Statement], in reader: some StoreReading, context: QueryContext)
        throws(SQLError) -> [QueryResult]
    {
        for s in statements where s.isDML {
            throw SQLError(.permission, "\(s.verb) needs a write transaction; this query runs read-only")
        }
        var results: [QueryResult] = []
        for s in statements { results.append(try read(s, reader, context)) }
        return results
    }

    /// Parses and runs `text` read-only (see ``query(_:in:context:)``).
    public static func query(_ text: String, in reader: some StoreReading, context: QueryContext) throws(SQLError)
        -> [QueryResult]
    {
        try query(try SQL.parse(text), in: reader, context: context)
    }

    /// The plan of a SELECT as lines of text (what EXPLAIN returns).
    public static func explain(_ select: SQL.Select, in reader: some StoreReading, context: QueryContext)
        throws(SQLError)
        -> [String]
    {
        try Planner(reader: reader, context: context).plan(select).explainLines
    }

    private static func read(_ s: Statement, _ reader: some StoreReading, _ context: QueryContext) throws(SQLError)
        -> QueryResult
    {
        switch s {
        case .select(let select):
            let plan = try Planner(reader: reader, context: context).plan(select)
            return try runSelect(plan, reader)
        case .explain(let select):
            let lines = try explain(select, in: reader, context: context)
            return QueryResult(columns: [.init(name: "plan", type: .string)], rows: lines.map { [.string($0)] })
        default:
            preconditionFailure("DML is dispatched before")
        }
    }

    /// Executes a planned SELECT: pipeline, then ORDER BY, LIMIT and the output columns.
    static func runSelect(_ plan: SelectPlan, _ reader: some StoreReading) throws(SQLError) -> QueryResult {
        let executor = SelectExecutor(reader: reader, plan: plan)
        let limit = plan.limit.map { Int(clamping: $0) } ?? Int.max
        switch plan.output {
        case .count(let name):
            var count: UInt64 = 0
            if limit > 0 {
                try executor.run { _ in
                    count += 1
                    return true
                }
            }
            let rows: [[AlgebraicValue]] = limit > 0 ? [[.u64(count)]] : []
            return QueryResult(columns: [.init(name: name, type: .u64)], rows: rows)
        case .columns(let columns):
            var rows: [[AlgebraicValue]] = []
            if limit > 0 {
                let streaming = plan.order.isEmpty
                try executor.run { row in
                    rows.append(row)
                    return !streaming || rows.count < limit
                }
            }
            if !plan.order.isEmpty { rows = sorted(rows, by: plan.order) }
            if rows.count > limit { rows.removeLast(rows.count - limit) }
            return QueryResult(
                columns: columns.map { .init(name: $0.name, type: $0.type) },
                rows: rows.map { row in columns.map { row[$0.slot] } })
        }
    }

    /// A stable sort by the keys (ties keep pipeline order).
    static func sorted(_ rows: [[AlgebraicValue]], by keys: [SortKey]) -> [[AlgebraicValue]] {
        let order = rows.indices.sorted { a, b in
            for k in keys {
                let c = ValueOrder.sortOrder(rows[a][k.slot], rows[b][k.slot])
                if c != 0 { return k.descending ? c > 0 : c < 0 }
            }
            return a < b
        }
        return order.map { rows[$0] }
    }
}

extension SQL.Statement {
    /// The statement's leading keyword: SELECT, EXPLAIN, INSERT, UPDATE or DELETE.
    public var verb: String {
        switch self {
        case .select: "SELECT"
        case .explain: "EXPLAIN"
        case .insert: "INSERT"
        case .update: "UPDATE"
        case .delete: "DELETE"
        }
    }
}
