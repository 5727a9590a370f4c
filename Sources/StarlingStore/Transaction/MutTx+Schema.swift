public import StarlingTypes

extension MutTx {
    /// Creates a table (and its rows in the system tables) and returns its id. Unique
    /// constraints and the primary key get a unique btree index if the schema declares none on
    /// exactly their columns; unnamed indexes, constraints and sequences get generated names.
    @discardableResult
    public func createTable(_ schema: TableSchema) throws(StoreError) -> TableId {
        try store.checkOpen(id)
        guard schema.tableType == .user else {
            throw StoreError(.invalidSchema, "table `\(schema.name)`: only user tables can be created")
        }
        let schema = try SchemaValidator.normalize(schema)
        guard store.tableIdsByName[schema.name] == nil else {
            throw StoreError(.tableExists, "table `\(schema.name)` already exists")
        }
        let tableId = store.nextTableId
        store.nextTableId += 1
        let indexIds = schema.indexes.map { _ in store.allocateIndexId() }
        let sequenceIds = schema.sequences.map { _ in store.allocateSequenceId() }
        let table = Table(id: tableId, schema: schema, indexIds: indexIds, sequenceIds: sequenceIds)
        store.register(table)
        store.tx!.undo.append(.createdTable(tableId))
        let constraintIds = schema.constraints.map { _ in store.allocateConstraintId() }
        for row in SystemTables.rows(describing: table, constraintIds: constraintIds) {
            let t = store.tables[row.table]!
            _ = try row.bytes.withBytes { (b) throws(StoreError) in try insertValidated(t, b) }
        }
        return tableId
    }
}

extension Datastore {
    func allocateIndexId() -> IndexId {
        defer { nextIndexId += 1 }
        return nextIndexId
    }

    func allocateSequenceId() -> SequenceId {
        defer { nextSequenceId += 1 }
        return nextSequenceId
    }

    func allocateConstraintId() -> ConstraintId {
        defer { nextConstraintId += 1 }
        return nextConstraintId
    }
}

/// Checks a table schema and fills in what it implies (indexes for constraints, names).
enum SchemaValidator {
    static func normalize(_ input: TableSchema) throws(StoreError) -> TableSchema {
        var s = input
        let table = s.name
        func fail(_ message: String) -> StoreError { StoreError(.invalidSchema, "table `\(table)`: \(message)") }
        guard !table.isEmpty else { throw StoreError(.invalidSchema, "a table needs a name") }
        if s.tableType == .user, table.hasPrefix("st_") {
            throw fail("names starting with `st_` are reserved for system tables")
        }
        var seen = Set<String>()
        for c in s.columns {
            guard !c.name.isEmpty else { throw fail("every column needs a name") }
            guard seen.insert(c.name).inserted else { throw fail("column `\(c.name)` is declared twice") }
        }
        func checkColumns(_ cols: [Int], _ what: String) throws(StoreError) {
            guard !cols.isEmpty else { throw fail("\(what) has no columns") }
            guard Set(cols).count == cols.count else { throw fail("\(what) lists a column twice") }
            for c in cols where c < 0 || c >= s.columns.count {
                throw fail("\(what) refers to column #\(c), but the table has \(s.columns.count) columns")
            }
        }
        func columnNames(_ cols: [Int]) -> String { cols.map { s.columns[$0].name }.joined(separator: "_") }
        if let pk = s.primaryKey {
            try checkColumns([pk], "the primary key")
            if !s.constraints.contains(where: { $0.columns == [pk] }) {
                s.constraints.append(ConstraintSchema(name: "", columns: [pk]))
            }
        }
        for i in s.indexes.indices {
            try checkColumns(s.indexes[i].columns, "index `\(s.indexes[i].name)`")
            if s.indexes[i].name.isEmpty {
                let idx = s.indexes[i]
                s.indexes[i].name = "\(table)_\(columnNames(idx.columns))_idx_\(idx.algorithm.rawValue)"
            }
        }
        for i in s.constraints.indices {
            let cols = s.constraints[i].columns
            try checkColumns(cols, "a unique constraint")
            if s.constraints[i].name.isEmpty { s.constraints[i].name = "\(table)_\(columnNames(cols))_key" }
            if let j = s.indexes.firstIndex(where: { $0.columns == cols }) {
                s.indexes[j].isUnique = true
            } else {
                s.indexes.append(
                    IndexSchema(name: "\(table)_\(columnNames(cols))_idx_btree", columns: cols, algorithm: .btree, isUnique: true))
            }
        }
        for idx in s.indexes where idx.isUnique && !s.constraints.contains(where: { $0.columns == idx.columns }) {
            s.constraints.append(ConstraintSchema(name: "\(table)_\(columnNames(idx.columns))_key", columns: idx.columns))
        }
        try checkUniqueNames(s.indexes.map(\.name), "index", fail)
        try checkUniqueNames(s.constraints.map(\.name), "constraint", fail)
        for i in s.sequences.indices {
            let q = s.sequences[i]
            try checkColumns([q.column], "a sequence")
            let type = s.columns[q.column].type
            guard type.isInteger else {
                throw fail("auto-increment column `\(s.columns[q.column].name)` must have an integer type, not \(type)")
            }
            guard q.increment != 0 else { throw fail("sequence on `\(s.columns[q.column].name)` has increment 0") }
            let (tmin, tmax) = SequenceState.range(of: type)
            let lo = max(q.min, tmin)
            let hi = min(q.max, tmax)
            guard lo <= q.start, q.start <= hi else {
                throw fail("sequence on `\(s.columns[q.column].name)` starts at \(q.start), outside \(lo)...\(hi) (its bounds and the range of \(type))")
            }
            if q.name.isEmpty { s.sequences[i].name = "\(table)_\(s.columns[q.column].name)_seq" }
        }
        try checkUniqueNames(s.sequences.map(\.name), "sequence", fail)
        return s
    }

    private static func checkUniqueNames(
        _ names: [String], _ what: String, _ fail: (String) -> StoreError
    ) throws(StoreError) {
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted { throw fail("\(what) `\(n)` is declared twice") }
    }
}
