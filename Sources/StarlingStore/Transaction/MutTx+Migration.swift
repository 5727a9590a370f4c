public import StarlingTypes

// Online schema migrations: adding indexes and columns to a table that already holds rows.
//
// Both are ordinary transactional changes: they write the system rows `createTable` would have
// written for the new index or columns (so the commit's delta carries them and replay repeats the
// migration, see `Datastore+ReplayMigration.swift`), and they leave an undo entry so rollback
// restores the table exactly. Rewritten rows are never part of the delta: the schema change
// implies them.

extension MutTx {
    /// Adds an index to an existing user table, built over its current rows, and returns its id.
    ///
    /// An empty name gets the generated name `createTable` would give (`<table>_<columns>_idx_<algorithm>`).
    /// A unique index also records a unique constraint on its columns (`<table>_<columns>_key`)
    /// unless one already exists, exactly as `createTable` does. Fails with `invalidSchema` when
    /// the name is taken by another index of the table or the columns are invalid, and with
    /// `uniqueViolation` (naming the index and the repeated key) when a unique index meets rows
    /// that share a key; a failed call changes nothing. Rollback removes the index.
    @discardableResult
    public func addIndex(_ table: TableId, _ index: IndexSchema) throws(StoreError) -> IndexId {
        try store.checkOpen(id)
        let t = try store.table(table)
        try checkMigratable(t, "add an index")
        let (schema, constraint) = try MigrationValidator.newIndex(index, for: t.schema)
        let indexId = store.nextIndexId
        let built = try t.buildIndex(id: indexId, schema: schema)
        store.nextIndexId += 1
        let previous = t.schema
        t.attachIndex(built)
        store.registerIndex(built, of: t)
        store.tx!.undo.append(.addedIndex(table: table, index: indexId, schema: previous))
        try insertSystemRow(SystemTables.stIndex, SystemTables.indexRow(built, table: table))
        if let constraint {
            t.schema.constraints.append(constraint)
            let constraintId = store.allocateConstraintId()
            try insertSystemRow(
                SystemTables.stConstraint, SystemTables.constraintRow(constraint, id: constraintId, table: table))
        }
        return indexId
    }

    /// Appends columns to an existing user table. Every existing row receives each new column's
    /// value in `defaults` (keyed by column name), or else its zero value (see `docs/datastore.md`,
    /// "Schema migrations": 0, `false`, `""`, empty arrays, `none`, variant 0 of a sum …); column
    /// positions do not change, so indexes, constraints and sequences keep working. After the
    /// call, inserts must give values for the new columns too. Each default is recorded in
    /// `st_column_default`, so replaying the log fills the rows the same way.
    ///
    /// Fails with `invalidSchema` when a name is empty or already used, when a default names no
    /// added column or is not a value of its column's type, when a column without default has a
    /// type without values, or when the table already has uncommitted row changes in this
    /// transaction (run migrations before changing the table's rows). Rollback restores the old
    /// table exactly. Adding no columns changes nothing.
    public func addColumns(
        _ table: TableId, _ columns: [ColumnSchema], defaults: [String: AlgebraicValue] = [:]
    ) throws(StoreError) {
        try store.checkOpen(id)
        let t = try store.table(table)
        try checkMigratable(t, "add columns")
        guard !columns.isEmpty else { return }
        guard t.touchedBy != id else {
            throw StoreError(
                .invalidSchema,
                "cannot add columns to table `\(t.name)`: it has uncommitted row changes in this transaction; add columns before changing its rows (or in a transaction of its own)"
            )
        }
        try MigrationValidator.checkNewColumns(columns, for: t.schema)
        try MigrationValidator.checkDefaults(defaults, of: columns, for: t.schema)
        let suffix = try appendedSuffix(columns, defaults: defaults, table: t.name)
        let migrated = try t.withAppendedColumns(columns, suffix: suffix)
        store.register(migrated)
        store.tx!.undo.append(.replacedTable(t))
        let first = t.schema.columns.count
        for (i, c) in columns.enumerated() {
            try insertSystemRow(SystemTables.stColumn, SystemTables.columnRow(c, position: first + i, table: table))
            if let d = defaults[c.name] {
                try insertSystemRow(
                    SystemTables.stColumnDefault, SystemTables.columnDefaultRow(d, of: c, position: first + i, table: table))
            }
        }
    }

    private func checkMigratable(_ t: Table, _ what: String) throws(StoreError) {
        guard t.schema.tableType == .user else {
            throw StoreError(.invalidSchema, "cannot \(what) on system table `\(t.name)`")
        }
    }

    private func insertSystemRow(_ table: TableId, _ values: [AlgebraicValue]) throws(StoreError) {
        let st = try store.table(table)
        _ = try AlgebraicValue.product(values).bsatn.withBytes { (b) throws(StoreError) in try insertValidated(st, b) }
    }
}

/// Checks what a migration adds against the table's current schema.
enum MigrationValidator {
    /// The index with its generated name (if it had none), and the unique constraint to record
    /// with it (a unique index on columns no constraint covers yet).
    static func newIndex(
        _ input: IndexSchema, for s: TableSchema
    ) throws(StoreError) -> (IndexSchema, ConstraintSchema?) {
        func fail(_ message: String) -> StoreError { StoreError(.invalidSchema, "table `\(s.name)`: \(message)") }
        var idx = input
        let what = idx.name.isEmpty ? "the new index" : "index `\(idx.name)`"
        guard !idx.columns.isEmpty else { throw fail("\(what) has no columns") }
        guard Set(idx.columns).count == idx.columns.count else { throw fail("\(what) lists a column twice") }
        for c in idx.columns where c < 0 || c >= s.columns.count {
            throw fail("\(what) refers to column #\(c), but the table has \(s.columns.count) columns")
        }
        let names = idx.columns.map { s.columns[$0].name }.joined(separator: "_")
        if idx.name.isEmpty { idx.name = "\(s.name)_\(names)_idx_\(idx.algorithm.rawValue)" }
        guard !s.indexes.contains(where: { $0.name == idx.name }) else {
            throw fail("an index named `\(idx.name)` already exists; choose another name")
        }
        guard idx.isUnique, !s.constraints.contains(where: { $0.columns == idx.columns }) else { return (idx, nil) }
        let constraint = ConstraintSchema(name: "\(s.name)_\(names)_key", columns: idx.columns)
        guard !s.constraints.contains(where: { $0.name == constraint.name }) else {
            throw fail("a constraint named `\(constraint.name)` already exists on other columns")
        }
        return (idx, constraint)
    }

    /// Every default must name one of the added columns and be a value of its type.
    static func checkDefaults(
        _ defaults: [String: AlgebraicValue], of columns: [ColumnSchema], for s: TableSchema
    ) throws(StoreError) {
        for (name, value) in defaults.sorted(by: { $0.key < $1.key }) {
            guard let c = columns.first(where: { $0.name == name }) else {
                throw StoreError(.invalidSchema, "table `\(s.name)`: a default is given for `\(name)`, which is not an added column")
            }
            guard value.conforms(to: c.type) else {
                throw StoreError(
                    .invalidSchema, "table `\(s.name)`: the default for column `\(name)` is not a value of its type \(c.type)")
            }
        }
    }

    /// Column names must be non-empty and unique across the old and new columns; the table can
    /// hold at most 65,536 columns (`st_column.col_pos` is a u16).
    static func checkNewColumns(_ columns: [ColumnSchema], for s: TableSchema) throws(StoreError) {
        func fail(_ message: String) -> StoreError { StoreError(.invalidSchema, "table `\(s.name)`: \(message)") }
        let existing = Set(s.columns.map(\.name))
        var seen = Set<String>()
        for c in columns {
            guard !c.name.isEmpty else { throw fail("every column needs a name") }
            guard !existing.contains(c.name) else {
                throw fail("cannot add column `\(c.name)`: the table already has a column with that name")
            }
            guard seen.insert(c.name).inserted else { throw fail("column `\(c.name)` is added twice") }
        }
        guard s.columns.count + columns.count <= Int(UInt16.max) + 1 else {
            throw fail("a table has at most 65536 columns")
        }
    }
}
