import StarlingStore
import StarlingTypes

extension QueryEngine {
    static let ownerOnly = "only the database owner may run INSERT/UPDATE/DELETE"

    /// The target table of a DML statement, checked writable by this caller.
    private static func target(_ name: Name, _ verb: String, _ tx: MutTx, _ context: QueryContext) throws(SQLError)
        -> BoundTable
    {
        guard context.isOwner else { throw SQLError(.permission, ownerOnly, at: name.position) }
        let (id, schema, indexes) = try TableResolver.resolve(name, in: tx, context: context)
        guard schema.tableType == .user else {
            throw SQLError(.permission, "system table `\(schema.name)` cannot be written by \(verb)", at: name.position)
        }
        return BoundTable(
            id: id, schema: schema, referenceName: schema.name, hasAlias: false, offset: 0, indexes: indexes)
    }

    /// The position of a named column of `table`.
    private static func column(_ name: Name, of table: BoundTable) throws(SQLError) -> Int {
        guard let c = table.schema.columnIndex(name.text) else {
            throw Binder(tables: [table], context: .owner(.zero)).unknownColumn(name.text, in: table, at: name.position)
        }
        return c
    }

    static func runInsert(_ insert: Insert, _ tx: MutTx, _ context: QueryContext) throws(SQLError) -> QueryResult {
        let table = try target(insert.table, "INSERT", tx, context)
        let schema = table.schema
        var positions: [Int] = []
        for name in insert.columns ?? schema.columns.map({ Name($0.name, at: insert.table.position) }) {
            let c = try column(name, of: table)
            guard !positions.contains(c) else {
                throw SQLError(.invalid, "column `\(name.text)` is listed twice", at: name.position)
            }
            positions.append(c)
        }
        var defaults: [AlgebraicValue?] = []
        for (c, col) in schema.columns.enumerated() {
            if positions.contains(c) {
                defaults.append(nil)
            } else if schema.sequences.contains(where: { $0.column == c }) {
                defaults.append(try? Literal.integer("0", negative: false, radix: 10, as: col.type))
            } else if case .option = col.type {
                defaults.append(.option(nil))
            } else {
                throw SQLError(
                    .invalid,
                    "INSERT into `\(schema.name)` needs a value for column `\(col.name)` (\(col.type)): it is neither an option nor auto-increment",
                    at: insert.table.position)
            }
        }
        let binder = Binder(tables: [table], context: context)
        for (row, at) in zip(insert.rows, insert.rowPositions) {
            guard row.count == positions.count else {
                throw SQLError(
                    .invalid,
                    "INSERT into `\(schema.name)` lists \(positions.count) columns but this row has \(row.count) values",
                    at: at)
            }
            var values = defaults
            for (lit, c) in zip(row, positions) {
                let col = schema.columns[c]
                values[c] = try binder.value(lit, as: col.type) {
                    "cannot insert \($0) into column `\(col.name)` (\(col.type))"
                }
            }
            let bytes = AlgebraicValue.product(values.map { $0! }).bsatn
            try withStore(at: at) { () throws(StoreError) in _ = try tx.insert(table.id, bytes) }
        }
        return .affected(insert.rows.count)
    }

    static func runUpdate(_ update: Update, _ tx: MutTx, _ context: QueryContext) throws(SQLError) -> QueryResult {
        let table = try target(update.table, "UPDATE", tx, context)
        let binder = Binder(tables: [table], context: context)
        var changes: [(column: Int, value: AlgebraicValue)] = []
        for a in update.assignments {
            let c = try column(a.column, of: table)
            guard !changes.contains(where: { $0.column == c }) else {
                throw SQLError(.invalid, "column `\(a.column.text)` is set twice", at: a.column.position)
            }
            let col = table.schema.columns[c]
            changes.append(
                (
                    c,
                    try binder.value(a.value, as: col.type) { "cannot set column `\(col.name)` (\(col.type)) to \($0)" }
                ))
        }
        let matches = try matchingRows(table, update.filter, tx, context)
        // Delete every old row first, so rows may swap unique values.
        for (rid, _) in matches {
            try withStore(at: update.table.position) { () throws(StoreError) in try tx.delete(table.id, rid) }
        }
        for (_, old) in matches {
            var row = old
            for (c, v) in changes { row[c] = v }
            let bytes = AlgebraicValue.product(row).bsatn
            try withStore(at: update.table.position) { () throws(StoreError) in _ = try tx.insert(table.id, bytes) }
        }
        return .affected(matches.count)
    }

    static func runDelete(_ delete: Delete, _ tx: MutTx, _ context: QueryContext) throws(SQLError) -> QueryResult {
        let table = try target(delete.table, "DELETE", tx, context)
        let matches = try matchingRows(table, delete.filter, tx, context)
        for (rid, _) in matches {
            try withStore(at: delete.table.position) { () throws(StoreError) in try tx.delete(table.id, rid) }
        }
        return .affected(matches.count)
    }

    /// The ids and values of the rows of `table` matching `filter` (collected before any change).
    private static func matchingRows(_ table: BoundTable, _ filter: Expr?, _ tx: MutTx, _ context: QueryContext)
        throws(SQLError) -> [(RowId, [AlgebraicValue])]
    {
        let plan = try Planner(reader: tx, context: context).plan(table: table, filter: filter)
        var out: [(RowId, [AlgebraicValue])] = []
        try SelectExecutor<MutTx>.read(tx, plan, outer: []) { rid, row in
            if plan.localFilters.allSatisfy({ $0.evaluate(row, base: 0) == true }) { out.append((rid, row)) }
            return true
        }
        return out
    }
}
