public import StarlingStore
public import StarlingTypes

/// A subscription query compiled for one caller: `SELECT t.* FROM t [JOIN u ON ...]... [WHERE ...]`
/// (or `SELECT * FROM t` without joins), returning whole rows of one table.
///
/// The query's result is a bag: a row of the returned table counts once per combination of rows of
/// the other tables it joins with. A subscriber sees a set: a row is in the result while its count
/// is above zero. After a transaction, ``update(for:in:)`` computes what entered and left the set
/// from the transaction's delta alone (incremental view maintenance; the join's delta rules), never
/// by re-running the query.
///
/// ```swift
/// let q = try store.read { tx throws(SQLError) in
///     try LiveQuery.compile("SELECT p.* FROM player p JOIN guild g ON p.guild = g.id WHERE g.open", in: tx, context: ctx)
/// }
/// ```
public struct LiveQuery: Sendable {
    /// Identifies equal queries: the same tables, returned table and conditions after binding
    /// (`:sender` and row-level security included), so equal queries from many clients are
    /// evaluated once.
    public struct Key: Hashable, Sendable {
        let tableIds: [TableId]
        let projected: Int
        let conditions: [BoundExpr]
    }

    public let key: Key
    /// The name of the table whose rows the query returns.
    public var tableName: String { tables[projected].name }
    /// The id of the table whose rows the query returns.
    public var tableId: TableId { tables[projected].id }
    /// Every table the query reads (a transaction touching none of them cannot change the result).
    public var readTables: Set<TableId> { Set(tables.map(\.id)) }
    /// The query as the client wrote it.
    public let text: String

    let tables: [BoundTable]
    let conditions: [BoundExpr]
    let projected: Int
    /// The plan of the whole query, for the initial result.
    let plan: SelectPlan
    /// Per table position: how a delta row of that table is joined with the other tables.
    let walks: [JoinWalk]
    /// Per table position: a column of it that the query requires to equal a constant.
    let pruneKeys: [PruneKey?]

    /// Compiles one subscription query for `context` (visibility, `:sender`, row filters).
    public static func compile(_ text: String, in reader: some StoreReading, context: QueryContext) throws(SQLError)
        -> LiveQuery
    {
        let statements = try SQL.parse(text)
        guard statements.count == 1, case .select(let select) = statements[0] else {
            throw SQLError(
                .invalid,
                statements.count == 1
                    ? "a subscription is a SELECT query, e.g. `SELECT * FROM t WHERE ...`"
                    : "a subscription query is one SELECT statement; subscribe to several queries in one query set instead")
        }
        return try compile(select, text: text, in: reader, context: context)
    }

    static func compile(_ select: SQL.Select, text: String, in reader: some StoreReading, context: QueryContext)
        throws(SQLError) -> LiveQuery
    {
        let planner = Planner(reader: reader, context: context)
        let plan = try planner.plan(select)
        let tables = plan.tables.map(\.table)
        let projected = try projectedTable(select, tables, context)
        if let item = select.orderBy.first {
            throw SQLError(.invalid, "a subscription has no order: drop ORDER BY", at: item.column.position)
        }
        if select.limit != nil { throw SQLError(.invalid, "a subscription has no LIMIT: it follows every matching row") }
        let conditions = try planner.conditions(select, tables)
        let walks = tables.indices.map { JoinWalk.plan(start: $0, tables, conditions, planner) }
        return LiveQuery(
            key: Key(tableIds: tables.map(\.id), projected: projected, conditions: conditions), text: text,
            tables: tables, conditions: conditions, projected: projected, plan: plan, walks: walks,
            pruneKeys: tables.indices.map { PruneKey.find(table: $0, in: conditions) })
    }

    /// Which table's rows a subscription returns: `SELECT *` of a single table, or `SELECT t.*`.
    private static func projectedTable(_ select: SQL.Select, _ tables: [BoundTable], _ context: QueryContext)
        throws(SQLError) -> Int
    {
        switch select.projection {
        case .all where tables.count == 1:
            return 0
        case .items(let items) where items.count == 1:
            if case .allColumns(let name) = items[0] {
                return try Binder(tables: tables, context: context).table(named: name)
            }
        default:
            break
        }
        let name = tables[0].referenceName
        throw SQLError(
            .invalid,
            "a subscription returns whole rows of one table: write `SELECT \(tables.count == 1 ? "*" : name + ".*") FROM ...`",
            at: select.from.name.position)
    }

    /// The rows in the query's result now, each once, as BSATN.
    public func rows(in reader: some StoreReading) throws(SQLError) -> [[UInt8]] {
        Array(try counts(in: reader).keys)
    }

    /// The query's result as a bag: each returned row with the number of joined combinations it
    /// appears in (computed by the ordinary executor).
    func counts(in reader: some StoreReading) throws(SQLError) -> [[UInt8]: Int] {
        let range = tables[projected].offset..<(tables[projected].offset + tables[projected].schema.columns.count)
        var counts: [[UInt8]: Int] = [:]
        try SelectExecutor(reader: reader, plan: plan).run { row in
            counts[AlgebraicValue.product(Array(row[range])).bsatn, default: 0] += 1
            return true
        }
        return counts
    }
}

/// A column of one table of a query that must equal a constant: rows of that table with another
/// value there cannot change the query's result.
struct PruneKey: Hashable, Sendable {
    var column: Int
    var value: AlgebraicValue

    /// The first `column = constant` conjunct on table `i` whose values compare exactly as they hash
    /// (integers, strings, booleans, identities; not floats, whose `0` and `-0` are equal).
    static func find(table i: Int, in conditions: [BoundExpr]) -> PruneKey? {
        for c in conditions {
            guard case .compare(let l, .equal, let r) = c else { continue }
            let pair: (ColumnSlot, AlgebraicValue, AlgebraicType)
            switch (l, r) {
            case (.column(let col), .value(let v, let t, _)), (.value(let v, let t, _), .column(let col)): pair = (col, v, t)
            default: continue
            }
            let (col, value, type) = pair
            guard col.table == i, type == col.type, hashesExactly(type) else { continue }
            return PruneKey(column: col.column, value: value)
        }
        return nil
    }

    private static func hashesExactly(_ t: AlgebraicType) -> Bool {
        switch t {
        case .bool, .i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64, .i128, .u128, .string, .bytes, .identity,
            .connectionId, .timestamp:
            true
        default: false
        }
    }
}
