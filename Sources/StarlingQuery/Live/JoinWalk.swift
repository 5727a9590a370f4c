import StarlingStore
import StarlingTypes

/// How the rows joined with one row of a query's table at position `start` are found: the other
/// tables in an order where each can be read by an index keyed by tables already bound when one
/// helps, and the conditions to check once each table is bound.
///
/// Access paths only narrow the candidates: every condition is checked again on the joined row, so
/// a walk stays correct when it reads a table's state before the transaction (the store's current
/// rows, without the transaction's inserts, plus its deletes).
struct JoinWalk: Sendable {
    struct Step: Sendable {
        /// The table read, with the access path that reads it (`join` and `localFilters` unused).
        var plan: TablePlan
        var position: Int
        /// The conditions that become checkable once this table is bound.
        var filters: [BoundExpr]
    }

    var start: Int
    /// The conditions checkable on the start table's row alone.
    var startFilters: [BoundExpr]
    var steps: [Step]

    static func plan<Reader>(start: Int, _ tables: [BoundTable], _ conditions: [BoundExpr], _ planner: Planner<Reader>)
        -> JoinWalk
    {
        var bound: Set<Int> = [start]
        var placed = conditions.map { $0.tables.isSubset(of: bound) }
        let startFilters = conditions.indices.filter { placed[$0] }.map { conditions[$0] }
        var steps: [Step] = []
        while bound.count < tables.count {
            let next = choose(tables, conditions, bound, planner)
            bound.insert(next.position)
            var filters: [BoundExpr] = []
            for k in conditions.indices where !placed[k] && conditions[k].tables.isSubset(of: bound) {
                placed[k] = true
                filters.append(conditions[k])
            }
            steps.append(
                Step(
                    plan: TablePlan(table: tables[next.position], access: next.access, join: .first, localFilters: [], joinFilters: []),
                    position: next.position, filters: filters))
        }
        return JoinWalk(start: start, startFilters: startFilters, steps: steps)
    }

    /// The next table: one an index reaches from the bound tables if any, else one a condition
    /// connects to them, else the first unbound one.
    private static func choose<Reader>(
        _ tables: [BoundTable], _ conditions: [BoundExpr], _ bound: Set<Int>, _ planner: Planner<Reader>
    ) -> (position: Int, access: AccessPath) {
        let unbound = tables.indices.filter { !bound.contains($0) }
        var connected: Int?
        for j in unbound {
            let usable = conditions.indices.compactMap { k -> (Int, BoundExpr)? in
                let ts = conditions[k].tables
                return ts.contains(j) && ts.isSubset(of: bound.union([j])) ? (k, conditions[k]) : nil
            }
            if planner.context.useIndexes {
                let (access, _) = planner.chooseAccess(j, tables[j], usable, isBound: { bound.contains($0) })
                if access != .scan { return (j, access) }
            }
            if connected == nil, usable.contains(where: { $0.1.tables.count > 1 }) { connected = j }
        }
        return (connected ?? unbound[0], .scan)
    }
}
