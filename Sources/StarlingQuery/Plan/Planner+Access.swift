import StarlingTypes

extension Planner {
    /// An equality or range condition on one column of the table being planned.
    private struct Candidate {
        var condition: Int
        var op: ComparisonOperator
        var source: KeySource
    }

    /// The best index access for table `i` given the conditions available to it, and the conditions
    /// the access path answers exactly (they need no further check). A scan when no index helps.
    /// `isBound` tells which other tables' columns are known when table `i` is read (index
    /// lookups may be keyed by them).
    func chooseAccess(
        _ i: Int, _ table: BoundTable, _ conditions: [(Int, BoundExpr)], isBound: (Int) -> Bool
    ) -> (AccessPath, [Int]) {
        var byColumn: [Int: [Candidate]] = [:]
        for (k, e) in conditions {
            guard let (column, op, other) = Self.columnCondition(e, table: i) else { continue }
            switch other {
            case .value(let v, _, let origin):
                if op == .notEqual { continue }
                if op != .equal {
                    if case .option = column.type { continue }
                    guard ValueOrder.isOrdered(column.type) else { continue }
                }
                byColumn[column.column, default: []].append(Candidate(condition: k, op: op, source: .value(v, origin)))
            case .column(let outer):
                // Lookups by an outer column need the exact key type.
                guard op == .equal, isBound(outer.table), outer.type == column.type else { continue }
                byColumn[column.column, default: []].append(Candidate(condition: k, op: op, source: .column(outer)))
            }
        }
        var best: (score: Int, path: AccessPath, used: [Int])?
        for index in table.indexes {
            guard let (score, path, used) = Self.match(index, byColumn), score > (best?.score ?? 0) else { continue }
            best = (score, path, used)
        }
        return best.map { ($0.path, $0.used) } ?? (.scan, [])
    }

    /// How well `index` serves the candidates: its access path, the conditions it consumes and a
    /// score (equality columns count most, then range bounds, then a unique full-key match).
    private static func match(_ index: IndexInfo, _ byColumn: [Int: [Candidate]]) -> (Int, AccessPath, [Int])? {
        let columns = index.schema.columns
        var key: [KeySource] = []
        var used: [Int] = []
        for c in columns {
            let equalities = (byColumn[c] ?? []).filter { $0.op == .equal }
            // Constants first: they make the lookup independent of the outer row.
            guard
                let e = equalities.first(where: { if case .value = $0.source { true } else { false } })
                    ?? equalities.first
            else { break }
            key.append(e.source)
            used.append(e.condition)
        }
        if index.schema.algorithm == .hash {
            guard key.count == columns.count else { return nil }
            return (key.count * 4 + (index.schema.isUnique ? 2 : 0), .seek(index, key: key), used)
        }
        var lower: RangeBound?
        var upper: RangeBound?
        if key.count < columns.count {
            for cand in byColumn[columns[key.count]] ?? [] {
                guard case .value(let v, let origin) = cand.source else { continue }
                switch cand.op {
                case .greater where lower == nil, .greaterOrEqual where lower == nil:
                    lower = RangeBound(value: v, inclusive: cand.op == .greaterOrEqual, origin: origin)
                case .less where upper == nil, .lessOrEqual where upper == nil:
                    upper = RangeBound(value: v, inclusive: cand.op == .lessOrEqual, origin: origin)
                default: continue
                }
                used.append(cand.condition)
            }
        }
        let score =
            key.count * 4 + (lower == nil ? 0 : 1) + (upper == nil ? 0 : 1)
            + (index.schema.isUnique && key.count == columns.count ? 2 : 0)
        guard score > 0 else { return nil }
        if lower == nil && upper == nil { return (score, .seek(index, key: key), used) }
        return (score, .range(index, prefix: key, lower: lower, upper: upper), used)
    }

    /// `column op other` with `column` a column of table `i` (operands swapped if needed).
    private static func columnCondition(_ e: BoundExpr, table i: Int) -> (ColumnSlot, ComparisonOperator, BoundOperand)?
    {
        guard case .compare(let l, let op, let r) = e else { return nil }
        if case .column(let c) = l, c.table == i, r.columnSlot?.table != i { return (c, op, r) }
        if case .column(let c) = r, c.table == i, l.columnSlot?.table != i { return (c, op.flipped, l) }
        return nil
    }
}
