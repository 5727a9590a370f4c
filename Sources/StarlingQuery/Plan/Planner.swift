import StarlingStore
import StarlingTypes

/// Turns a checked SELECT into a ``SelectPlan``: tables in FROM/JOIN order (left-deep), each read
/// by the best index for its conditions (or scanned) and joined by index lookup, hash join or
/// nested loop; each condition is checked as early as the tables it reads are available.
struct Planner<Reader: StoreReading> {
    let reader: Reader
    let context: QueryContext

    func plan(_ select: Select) throws(SQLError) -> SelectPlan {
        let tables = try bindTables([select.from] + select.joins.map(\.table))
        let binder = Binder(tables: tables, context: context)
        let conditions = try self.conditions(select, tables)
        let output = try self.output(select.projection, binder)
        let order = try sortKeys(select, output, binder)
        return SelectPlan(
            tables: planTables(tables, conditions), output: output, order: order, limit: select.limit?.count)
    }

    /// Every condition of a SELECT as conjuncts: its JOIN conditions, its WHERE and the row
    /// filters of ``QueryContext/rowFilters``.
    func conditions(_ select: Select, _ tables: [BoundTable]) throws(SQLError) -> [BoundExpr] {
        var conditions: [BoundExpr] = []
        for (k, join) in select.joins.enumerated() {
            var scoped = Binder(tables: tables, visible: Array(0...(k + 1)), context: context)
            scoped.tagsLiterals = true
            conditions += try scoped.bind(join.condition).conjuncts
        }
        if let filter = select.filter {
            var binder = Binder(tables: tables, context: context)
            binder.tagsLiterals = true
            conditions += try binder.bind(filter).conjuncts
        }
        return conditions + (try rowFilters(tables))
    }

    /// Plans a single-table statement (UPDATE, DELETE): the access path and filters for `filter`.
    func plan(table: BoundTable, filter: Expr?) throws(SQLError) -> TablePlan {
        let binder = Binder(tables: [table], context: context)
        let conditions = try filter.map { (f) throws(SQLError) in try binder.bind(f).conjuncts } ?? []
        return planTables([table], conditions)[0]
    }

    /// Resolves the tables of a query and lays out their columns in a joined row.
    func bindTables(_ refs: [TableRef]) throws(SQLError) -> [BoundTable] {
        var tables: [BoundTable] = []
        var offset = 0
        for ref in refs {
            let (id, schema, indexes) = try TableResolver.resolve(ref.name, in: reader, context: context)
            let referenceName = ref.referenceName.text
            if tables.contains(where: { $0.referenceName == referenceName }) {
                throw SQLError(
                    .ambiguous,
                    "table name `\(referenceName)` appears twice in this query; give one an alias, e.g. `\(schema.name) AS \(schema.name)2`",
                    at: ref.referenceName.position)
            }
            tables.append(
                BoundTable(
                    id: id, schema: schema, referenceName: referenceName, hasAlias: ref.alias != nil, offset: offset,
                    indexes: indexes))
            offset += schema.columns.count
        }
        return tables
    }

    /// The row filters of ``QueryContext/rowFilters``, bound to each table they apply to.
    private func rowFilters(_ tables: [BoundTable]) throws(SQLError) -> [BoundExpr] {
        var out: [BoundExpr] = []
        for i in tables.indices {
            for filter in context.rowFilters[tables[i].name] ?? [] {
                let binder = Binder(tables: tables, visible: [i], context: context)
                out += try binder.bind(filter).conjuncts
            }
        }
        return out
    }

    /// Chooses access paths and join methods and places every condition.
    func planTables(_ tables: [BoundTable], _ conditions: [BoundExpr]) -> [TablePlan] {
        var used = [Bool](repeating: false, count: conditions.count)
        let tableSets = conditions.map(\.tables)
        var plans: [TablePlan] = []
        for i in tables.indices {
            let available = conditions.indices.filter { !used[$0] && tableSets[$0].allSatisfy { $0 <= i } }
            var access = AccessPath.scan
            if context.useIndexes {
                let (path, consumed) = chooseAccess(
                    i, tables[i], available.map { ($0, conditions[$0]) }, isBound: { $0 < i })
                access = path
                for k in consumed { used[k] = true }
            }
            var join: JoinMethod = i == 0 ? .first : (access.readsOuterRow ? .indexLookup : .nestedLoop)
            if join == .nestedLoop {
                var outer: [ColumnSlot] = []
                var inner: [ColumnSlot] = []
                for k in available where !used[k] {
                    guard let (o, n) = Self.joinKey(conditions[k], table: i) else { continue }
                    outer.append(o)
                    inner.append(n)
                    used[k] = true
                }
                if !outer.isEmpty { join = .hash(outer: outer, inner: inner) }
            }
            var local: [BoundExpr] = []
            var joined: [BoundExpr] = []
            for k in available where !used[k] {
                let set = tableSets[k]
                if set == [i] || (set.isEmpty && i == 0) {
                    local.append(conditions[k])
                } else if set.max() == i {
                    joined.append(conditions[k])
                } else {
                    continue
                }
                used[k] = true
            }
            plans.append(
                TablePlan(table: tables[i], access: access, join: join, localFilters: local, joinFilters: joined))
        }
        return plans
    }

    /// `outer = inner` where `inner` is a column of table `i` and `outer` of an earlier table.
    static func joinKey(_ e: BoundExpr, table i: Int) -> (outer: ColumnSlot, inner: ColumnSlot)? {
        guard case .compare(.column(let a), .equal, .column(let b)) = e else { return nil }
        if a.table == i, b.table < i { return (b, a) }
        if b.table == i, a.table < i { return (a, b) }
        return nil
    }

    // MARK: output

    private func output(_ projection: Projection, _ binder: Binder) throws(SQLError) -> PlanOutput {
        func columns(of table: Int) -> [OutputColumn] {
            binder.tables[table].schema.columns.indices.map {
                let s = binder.slot(table, $0)
                return OutputColumn(slot: s.slot, name: s.name, type: s.type)
            }
        }
        switch projection {
        case .all:
            return .columns(binder.tables.indices.flatMap(columns(of:)))
        case .count(let alias, _):
            return .count(name: alias?.text ?? "count")
        case .items(let items):
            var out: [OutputColumn] = []
            for item in items {
                switch item {
                case .allColumns(let name): out += columns(of: try binder.table(named: name))
                case .column(let ref, let alias):
                    let s = try binder.column(ref)
                    out.append(OutputColumn(slot: s.slot, name: alias?.text ?? s.name, type: s.type))
                }
            }
            return .columns(out)
        }
    }

    private func sortKeys(_ select: Select, _ output: PlanOutput, _ binder: Binder) throws(SQLError) -> [SortKey] {
        var keys: [SortKey] = []
        for item in select.orderBy {
            if case .count = output {
                throw SQLError(
                    .invalid, "ORDER BY cannot be used with COUNT(*), which returns one row", at: item.column.position)
            }
            var aliased: SortKey?
            if item.column.table == nil, case .items(let items) = select.projection {
                for case .column(let ref, let alias?) in items where alias.text == item.column.column.text {
                    let s = try binder.column(ref)
                    aliased = SortKey(slot: s.slot, descending: item.descending, display: alias.text)
                    break
                }
            }
            if let aliased {
                keys.append(aliased)
                continue
            }
            let s = try binder.column(item.column)
            guard ValueOrder.isOrdered(s.type) else {
                throw SQLError(
                    .typeMismatch, "cannot ORDER BY `\(s.display)`: values of type \(s.type) have no order",
                    at: item.column.position)
            }
            keys.append(SortKey(slot: s.slot, descending: item.descending, display: s.display))
        }
        return keys
    }
}
