public import StarlingStore
import StarlingTypes

/// What one transaction did to a subscription's result: rows that entered it and rows that left
/// it (BSATN rows of the query's table).
public struct LiveUpdate: Sendable, Hashable {
    public var inserts: [[UInt8]] = []
    public var deletes: [[UInt8]] = []

    public var isEmpty: Bool { inserts.isEmpty && deletes.isEmpty }
}

extension LiveQuery {
    /// Which state of a table a join walk reads.
    enum Source {
        /// After the transaction (the store as it is).
        case new
        /// Before it: the store without the transaction's inserts, plus its deletes.
        case old
    }

    /// The rows that entered and left the result in the transaction `changes`, read against
    /// `reader`, which must show the state right after that transaction.
    public func update(for changes: TxChanges, in reader: some StoreReading) throws(SQLError) -> LiveUpdate {
        let delta = try countDelta(for: changes, in: reader)
        var update = LiveUpdate()
        if tables.count == 1 {
            // A table holds each row once, so a row's count is 0 or 1 and its delta says it all.
            for (row, d) in delta where d != 0 {
                if d > 0 { update.inserts.append(row) } else { update.deletes.append(row) }
            }
            return update
        }
        for (row, d) in delta where d != 0 {
            let now = try countNow(row, changes, reader)
            let before = now - d
            if before == 0 && now > 0 { update.inserts.append(row) }
            if before > 0 && now == 0 { update.deletes.append(row) }
        }
        return update
    }

    /// How the count of each returned row changed: the delta rules of a join. With `Ri` a table's
    /// state before and `Ri'` after, and `ΔRi` its signed changes,
    /// `Δ(R1 ⋈ … ⋈ Rn) = Σi R1' ⋈ … ⋈ R(i-1)' ⋈ ΔRi ⋈ R(i+1) ⋈ … ⋈ Rn`.
    func countDelta(for changes: TxChanges, in reader: some StoreReading) throws(SQLError) -> [[UInt8]: Int] {
        var counts: [[UInt8]: Int] = [:]
        for walk in walks {
            let table = tables[walk.start]
            guard let changed = try changes.table(table.id, types: table.schema.columns.map(\.type)) else { continue }
            for (rows, sign) in [(changed.deletes, -1), (changed.inserts, 1)] {
                for r in rows {
                    try self.walk(walk, r, changes, reader, source: { $0 < walk.start ? .new : .old }) { row in
                        counts[row, default: 0] += sign
                    }
                }
            }
        }
        return counts
    }

    /// The number of joined combinations a returned row takes part in after the transaction.
    private func countNow(_ bytes: [UInt8], _ changes: TxChanges, _ reader: some StoreReading) throws(SQLError) -> Int {
        let table = tables[projected]
        let types = table.schema.columns.map(\.type)
        if let changed = try changes.table(table.id, types: types), changed.deleted.contains(bytes) { return 0 }
        guard let values = bytes.withUnsafeBytes({ SelectExecutor<ReadTx>.decodeRow($0, types) }) else {
            throw SQLError(.store, "a row of table `\(table.name)` does not decode")
        }
        var count = 0
        try walk(walks[projected], TxChanges.Row(bytes: bytes, values: values), changes, reader, source: { _ in .new }) { _ in
            count += 1
        }
        return count
    }

    /// Calls `emit` with the returned row of every joined combination of `row` (at the walk's start
    /// table) with the other tables, read in the state `source` says, that passes every condition.
    private func walk(
        _ walk: JoinWalk, _ row: TxChanges.Row, _ changes: TxChanges, _ reader: some StoreReading,
        source: (Int) -> Source, emit: ([UInt8]) -> Void
    ) throws(SQLError) {
        let width = tables.last.map { $0.offset + $0.schema.columns.count } ?? 0
        var joined = [AlgebraicValue](repeating: .bool(false), count: width)
        let start = tables[walk.start]
        joined.replaceSubrange(start.offset..<(start.offset + row.values.count), with: row.values)
        guard Self.passes(walk.startFilters, joined) else { return }
        let projectedRow = walk.start == projected ? row.bytes : nil
        try extend(walk, level: 0, &joined, projectedRow, changes, reader, source, emit)
    }

    private func extend(
        _ walk: JoinWalk, level: Int, _ joined: inout [AlgebraicValue], _ projectedRow: [UInt8]?,
        _ changes: TxChanges, _ reader: some StoreReading, _ source: (Int) -> Source, _ emit: ([UInt8]) -> Void
    ) throws(SQLError) {
        guard level < walk.steps.count else {
            if let projectedRow { emit(projectedRow) }
            return
        }
        let step = walk.steps[level]
        let table = step.plan.table
        for candidate in try candidates(step, joined, changes, reader, source(step.position)) {
            joined.replaceSubrange(table.offset..<(table.offset + candidate.values.count), with: candidate.values)
            guard Self.passes(step.filters, joined) else { continue }
            try extend(
                walk, level: level + 1, &joined, step.position == projected ? candidate.bytes : projectedRow, changes, reader,
                source, emit)
        }
    }

    /// The rows of a step's table its access path yields for the bound tables, in the given state.
    private func candidates(
        _ step: JoinWalk.Step, _ joined: [AlgebraicValue], _ changes: TxChanges, _ reader: some StoreReading, _ state: Source
    ) throws(SQLError) -> [TxChanges.Row] {
        let table = step.plan.table
        let changed = try changes.table(table.id, types: table.schema.columns.map(\.type))
        var out: [TxChanges.Row] = []
        try SelectExecutor.read(reader, step.plan, outer: joined) { _, bytes, values in
            let row = TxChanges.Row(bytes: Array(bytes), values: values)
            if state == .old, let changed, changed.inserted.contains(row.bytes) { return true }
            out.append(row)
            return true
        }
        if state == .old, let changed { out += changed.deletes }
        return out
    }

    @inline(__always) static func passes(_ filters: [BoundExpr], _ row: [AlgebraicValue]) -> Bool {
        for f in filters where f.evaluate(row, base: 0) != true { return false }
        return true
    }
}
