import StarlingTypes

/// Finds the subscriptions a transaction can affect without looking at the others.
///
/// A query is registered under every table it reads. Where it requires a column of that table to
/// equal a constant (`WHERE id = 7`, `g.name = 'red'`), it is filed under that value, so a changed
/// row only reaches the queries asking for its value: the work per transaction does not grow with
/// the number of such subscriptions.
public struct LiveQueryIndex<ID: Hashable & Sendable>: Sendable {
    private struct TableEntry: Sendable {
        var types: [AlgebraicType]
        /// Queries that any change of the table may affect.
        var unpruned: [ID: Int] = [:]
        /// Queries filed by a column's required value.
        var byValue: [Int: [AlgebraicValue: [ID: Int]]] = [:]

        var isEmpty: Bool { unpruned.isEmpty && byValue.isEmpty }
    }

    private var tables: [TableId: TableEntry] = [:]

    public init() {}

    /// Registers `query` under `id` (one id per distinct query).
    public mutating func insert(_ id: ID, _ query: LiveQuery) {
        for (i, t) in query.tables.enumerated() {
            // Mutated in place: taking the entry out and back would copy it (quadratic growth).
            if tables[t.id] == nil { tables[t.id] = TableEntry(types: t.schema.columns.map(\.type)) }
            if let key = query.pruneKeys[i] {
                tables[t.id]!.byValue[key.column, default: [:]][key.value, default: [:]][id, default: 0] += 1
            } else {
                tables[t.id]!.unpruned[id, default: 0] += 1
            }
        }
    }

    /// Removes what ``insert(_:_:)`` registered for `id` and `query`.
    public mutating func remove(_ id: ID, _ query: LiveQuery) {
        for (i, t) in query.tables.enumerated() {
            guard tables[t.id] != nil else { continue }
            if let key = query.pruneKeys[i] {
                Self.decrement(&tables[t.id]!.byValue[key.column, default: [:]][key.value, default: [:]], id)
                if tables[t.id]!.byValue[key.column]?[key.value]?.isEmpty == true {
                    tables[t.id]!.byValue[key.column]![key.value] = nil
                }
                if tables[t.id]!.byValue[key.column]?.isEmpty == true { tables[t.id]!.byValue[key.column] = nil }
            } else {
                Self.decrement(&tables[t.id]!.unpruned, id)
            }
            if tables[t.id]!.isEmpty { tables[t.id] = nil }
        }
    }

    private static func decrement(_ counts: inout [ID: Int], _ id: ID) {
        guard let n = counts[id] else { return }
        counts[id] = n > 1 ? n - 1 : nil
    }

    /// The queries the transaction may have affected.
    public func candidates(_ changes: TxChanges) throws(SQLError) -> Set<ID> {
        var out: Set<ID> = []
        for id in changes.tableIds {
            guard let entry = tables[id] else { continue }
            out.formUnion(entry.unpruned.keys)
            guard !entry.byValue.isEmpty, let changed = try changes.table(id, types: entry.types) else { continue }
            for (column, queries) in entry.byValue {
                for row in changed.inserts { if let q = queries[row.values[column]] { out.formUnion(q.keys) } }
                for row in changed.deletes { if let q = queries[row.values[column]] { out.formUnion(q.keys) } }
            }
        }
        return out
    }
}
