import StarlingTypes

extension Datastore {
    /// Applies a committed transaction's delta read back from the commitlog (recovery).
    ///
    /// System tables are applied first; tables whose `st_table` row appears are then created from
    /// their system rows (with the ids they had), sequences resume after their reserved block, and
    /// finally user tables are applied — deletes before inserts, as commit produced them. Fails
    /// (leaving the datastore unusable for further replay) if the delta does not fit the state:
    /// a row to delete that is missing, a row that breaks a constraint, an unknown table.
    ///
    /// New `st_column` / `st_index` / `st_constraint` rows of a table that already exists repeat
    /// an online migration (``MutTx/addColumns(_:_:)``, ``MutTx/addIndex(_:_:)``): new columns
    /// are appended (existing rows get zero values) before the user tables are applied, new
    /// indexes are built over the final rows after them.
    public func replay(_ delta: TxDelta) throws(StoreError) {
        precondition(tx == nil, "replay while a transaction is open")
        var createdTables: [TableId] = []
        var sequencesChanged = false
        var migrations = ReplayedMigrations()
        for d in delta.tables where d.tableId < SystemTables.firstUserTableId {
            let t = try table(d.tableId)
            try apply(d, to: t)
            migrations.note(d, store: self)
            if d.tableId == SystemTables.stTable {
                guard d.deletes.isEmpty else {
                    throw StoreError(.invalidSchema, "log replay: dropping tables is not supported by this version")
                }
                for row in d.inserts { createdTables.append(SystemRows.u32(row, at: 0)) }
            }
            if d.tableId == SystemTables.stSequence { sequencesChanged = true }
        }
        try finishSchemaChanges(createdTables, migrations, sequencesChanged)
        for d in delta.tables where d.tableId >= SystemTables.firstUserTableId {
            try apply(d, to: try table(d.tableId))
        }
        try migrations.addIndexes(self)
    }

    /// Replays a commitlog payload straight from its bytes (no intermediate ``TxDelta``): the
    /// recovery hot path. Same rules as ``replay(_:)``.
    public func replay(payload: UnsafeRawBufferPointer) throws(StoreError) {
        precondition(tx == nil, "replay while a transaction is open")
        var c = PayloadCursor(payload)
        try c.skipHeader()
        let n = try c.count(minSize: 12)
        var createdTables: [TableId] = []
        var sequencesChanged = false
        var schemaApplied = false
        var migrations = ReplayedMigrations()
        for _ in 0..<n {
            let id = try c.u32()
            if id >= SystemTables.firstUserTableId {
                if !schemaApplied {
                    schemaApplied = true
                    try finishSchemaChanges(createdTables, migrations, sequencesChanged)
                }
                try replayRows(&c, into: try table(id))
                continue
            }
            let t = try table(id)
            // Inserts come first in the payload, but deletes must be applied first.
            var inserts = c
            try c.skipRows()
            for _ in 0..<(try c.count(minSize: 4)) {
                let row = try c.slice()
                if id == SystemTables.stTable {
                    throw StoreError(.invalidSchema, "log replay: dropping tables is not supported by this version")
                }
                try deleteReplayed(row, from: t)
            }
            for _ in 0..<(try inserts.count(minSize: 4)) {
                let row = try inserts.slice()
                if id == SystemTables.stTable { createdTables.append(UInt32(littleEndian: row.loadUnaligned(as: UInt32.self))) }
                try insertReplayed(row, into: t)
                migrations.note(id, insert: row, store: self)
            }
            if id == SystemTables.stSequence { sequencesChanged = true }
        }
        if !schemaApplied { try finishSchemaChanges(createdTables, migrations, sequencesChanged) }
        try c.expectEnd()
        if !migrations.isEmpty { try migrations.addIndexes(self) }
    }

    /// Replays one user table's part of a payload: its deletes, then its inserts (the payload
    /// lists inserts first), leaving `c` after both lists.
    @inline(__always)
    private func replayRows(_ c: inout PayloadCursor, into t: Table) throws(StoreError) {
        var inserts = c
        try c.skipRows()
        for _ in 0..<(try c.count(minSize: 4)) { try deleteReplayed(try c.slice(), from: t) }
        for _ in 0..<(try inserts.count(minSize: 4)) { try insertReplayed(try inserts.slice(), into: t) }
    }

    private func finishSchemaChanges(
        _ created: [TableId], _ migrations: ReplayedMigrations, _ sequencesChanged: Bool
    ) throws(StoreError) {
        if created.isEmpty && !sequencesChanged && migrations.isEmpty { return }
        for id in created { try recreateTable(id) }
        try migrations.appendColumns(self)
        if sequencesChanged { try resumeSequences() }
    }

    private func apply(_ d: TableDelta, to t: Table) throws(StoreError) {
        if d.inserts.count > 1024 {
            for idx in t.indexes { idx.reserve(t.rows.count + d.inserts.count) }
        }
        try d.deletes.bytes.withBytes { (all) throws(StoreError) in
            for i in d.deletes.indices {
                let (start, end) = d.deletes.bounds(i)
                try deleteReplayed(UnsafeRawBufferPointer(rebasing: all[start..<end]), from: t)
            }
        }
        try d.inserts.bytes.withBytes { (all) throws(StoreError) in
            for i in d.inserts.indices {
                let (start, end) = d.inserts.bounds(i)
                try insertReplayed(UnsafeRawBufferPointer(rebasing: all[start..<end]), into: t)
            }
        }
    }

    private func deleteReplayed(_ row: UnsafeRawBufferPointer, from t: Table) throws(StoreError) {
        guard let found = t.findIdentical(row) else {
            throw StoreError(.rowNotFound, "log replay: a deleted row of table `\(t.name)` is not in the table")
        }
        t.deleteUnchecked(found)
    }

    private func insertReplayed(_ row: UnsafeRawBufferPointer, into t: Table) throws(StoreError) {
        do throws(BSATNError) { try t.layout.validate(row) } catch { throw .typeMismatch(table: t.name, error) }
        if t.rowHashes != nil, t.findIdentical(row) != nil { return }
        if case .conflict(let idx, _) = t.insertIfUnique(row, flagged: false) {
            throw StoreError(
                .uniqueViolation,
                "log replay: a row inserted into `\(t.name)` collides in unique index `\(idx.schema.name)` (\(t.describeKey(idx, row: row)))"
            )
        }
    }

    /// Builds the table `id` from its rows in the system tables and registers it.
    private func recreateTable(_ id: TableId) throws(StoreError) {
        let rows = SystemRows(self, table: id)
        let schema = try rows.schema()
        let table = Table(id: id, schema: schema, indexIds: rows.indexIds, sequenceIds: rows.sequenceIds)
        register(table)
        nextTableId = max(nextTableId, id + 1)
        nextIndexId = max(nextIndexId, (rows.indexIds.max() ?? 0) + 1)
        nextSequenceId = max(nextSequenceId, rows.sequenceIds.max().map { $0 + 1 } ?? 0)
        nextConstraintId = max(nextConstraintId, rows.constraintIds.max().map { $0 + 1 } ?? 0)
    }

    /// Sets every sequence to resume after the block its `st_sequence` row reserves.
    private func resumeSequences() throws(StoreError) {
        let st = try table(SystemTables.stSequence)
        st.rows.forEach { _, row in
            let values = SystemRows.decode(st, row)
            guard case .u32(let seqId) = values[0], case .u32(let tableId) = values[1], case .i128(let allocated) = values[8],
                let t = try? table(tableId), let i = t.sequences.firstIndex(where: { $0.id == seqId })
            else { return true }
            t.sequences[i].allocated = allocated
            t.sequences[i].next = allocated + t.sequences[i].schema.increment
            return true
        }
    }
}

/// The system-table rows describing one table, decoded back into a schema.
struct SystemRows {
    let tableRow: [AlgebraicValue]
    let columns: [[AlgebraicValue]]
    let indexes: [[AlgebraicValue]]
    let constraints: [[AlgebraicValue]]
    let sequences: [[AlgebraicValue]]
    /// `st_column_default` rows: defaults of columns appended by migrations.
    let defaults: [[AlgebraicValue]]
    let tableId: TableId

    init(_ store: Datastore, table id: TableId) {
        tableId = id
        func rows(_ st: TableId) -> [[AlgebraicValue]] {
            guard let t = try? store.table(st) else { return [] }
            var out: [[AlgebraicValue]] = []
            t.rows.forEach { _, row in
                let v = SystemRows.decode(t, row)
                // Every system table has the described table's id in column 0 (st_table,
                // st_column, st_column_default) or column 1 (st_index, st_constraint, st_sequence).
                let columnZero = st == SystemTables.stTable || st == SystemTables.stColumn || st == SystemTables.stColumnDefault
                let owner = columnZero ? v[0] : v[1]
                if owner == .u32(id) { out.append(v) }
                return true
            }
            return out
        }
        tableRow = rows(SystemTables.stTable).first ?? []
        columns = rows(SystemTables.stColumn).sorted { Self.int($0[1]) < Self.int($1[1]) }
        indexes = rows(SystemTables.stIndex).sorted { Self.int($0[0]) < Self.int($1[0]) }
        constraints = rows(SystemTables.stConstraint).sorted { Self.int($0[0]) < Self.int($1[0]) }
        sequences = rows(SystemTables.stSequence).sorted { Self.int($0[0]) < Self.int($1[0]) }
        defaults = rows(SystemTables.stColumnDefault)
    }

    /// The recorded defaults of the columns of `schema` at positions `from...`, by column name.
    func columnDefaults(_ schema: TableSchema, from first: Int) throws(StoreError) -> [String: AlgebraicValue] {
        var out: [String: AlgebraicValue] = [:]
        for r in defaults {
            let position = Self.int(r[1])
            guard position >= first else { continue }
            guard position < schema.columns.count, case .bytes(let bytes) = r[3] else {
                throw StoreError(
                    .invalidSchema, "log replay: a column default of table `\(schema.name)` names column \(position), which it does not have")
            }
            let column = schema.columns[position]
            do throws(BSATNError) {
                out[column.name] = try AlgebraicValue.decode(column.type, from: bytes)
            } catch {
                throw StoreError(
                    .invalidSchema,
                    "log replay: the default of column `\(column.name)` of table `\(schema.name)` does not decode as \(column.type): \(error.message)"
                )
            }
        }
        return out
    }

    var indexIds: [IndexId] { indexes.map { IndexId(Self.int($0[0])) } }
    var sequenceIds: [SequenceId] { sequences.map { SequenceId(Self.int($0[0])) } }
    var constraintIds: [ConstraintId] { constraints.map { ConstraintId(Self.int($0[0])) } }

    /// The table's schema as it was created (already normalized: generated names and indexes
    /// are in the rows).
    func schema() throws(StoreError) -> TableSchema {
        func bad(_ what: String) -> StoreError {
            StoreError(.invalidSchema, "log replay: the system rows of table \(tableId) are inconsistent: \(what)")
        }
        guard tableRow.count == 5, case .string(let name) = tableRow[1], case .string(let type) = tableRow[2],
            case .string(let access) = tableRow[3], case .option(let pk) = tableRow[4],
            let tableType = TableType(rawValue: type), let tableAccess = TableAccess(rawValue: access)
        else { throw bad("no valid st_table row") }
        var columnSchemas: [ColumnSchema] = []
        for (i, c) in columns.enumerated() {
            guard Self.int(c[1]) == i, case .string(let n) = c[2], case .bytes(let t) = c[4] else { throw bad("column \(i)") }
            do throws(BSATNError) {
                columnSchemas.append(ColumnSchema(n, try AlgebraicType.decode(from: t)))
            } catch {
                throw bad("type of column `\(n)`: \(error.message)")
            }
        }
        var indexSchemas: [IndexSchema] = []
        for r in indexes {
            guard case .string(let n) = r[2], case .string(let a) = r[3], let algorithm = IndexAlgorithm(rawValue: a),
                case .bool(let unique) = r[5]
            else { throw bad("index row") }
            indexSchemas.append(IndexSchema(name: n, columns: Self.columnList(r[4]), algorithm: algorithm, isUnique: unique))
        }
        var constraintSchemas: [ConstraintSchema] = []
        for r in constraints {
            guard case .string(let n) = r[2] else { throw bad("constraint row") }
            constraintSchemas.append(ConstraintSchema(name: n, columns: Self.columnList(r[4])))
        }
        var sequenceSchemas: [SequenceSchema] = []
        for r in sequences {
            guard case .string(let n) = r[2], case .i128(let start) = r[4], case .i128(let inc) = r[5],
                case .i128(let lo) = r[6], case .i128(let hi) = r[7]
            else { throw bad("sequence row") }
            sequenceSchemas.append(
                SequenceSchema(name: n, column: Self.int(r[3]), start: start, increment: inc, min: lo, max: hi))
        }
        return TableSchema(
            name: name, columns: columnSchemas, primaryKey: pk.map { Self.int($0) }, indexes: indexSchemas,
            constraints: constraintSchemas, sequences: sequenceSchemas, access: tableAccess, tableType: tableType)
    }

    static func decode(_ t: Table, _ row: UnsafeRawBufferPointer) -> [AlgebraicValue] {
        guard case .product(let values) = try? AlgebraicValue.decode(.product(t.schema.rowType), from: row) else { return [] }
        return values
    }

    static func u32(_ row: ArraySlice<UInt8>, at offset: Int) -> UInt32 {
        row.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    static func int(_ v: AlgebraicValue) -> Int {
        switch v {
        case .u16(let x): Int(x)
        case .u32(let x): Int(x)
        default: -1
        }
    }

    static func columnList(_ v: AlgebraicValue) -> [Int] {
        guard case .array(let xs) = v else { return [] }
        return xs.map(int)
    }
}

/// The rows of a snapshot as read from its file, without copying them: per table (ascending ids,
/// system tables included), the byte ranges of `buffer` that hold row lists (a u32 count, then
/// each row as a u32 length and its BSATN).
public struct SnapshotImage: Sendable {
    public var buffer: [UInt8]
    public var tables: [(table: TableId, sections: [Range<Int>])]

    public init(buffer: [UInt8], tables: [(table: TableId, sections: [Range<Int>])]) {
        self.buffer = buffer
        self.tables = tables
    }

    /// Calls `body` with every row of `sections`; fails if a section's framing is wrong (a row
    /// list that does not end exactly at the section's end).
    func forEachRow(
        _ sections: [Range<Int>], _ body: (UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        try buffer.withBytes { (all) throws(StoreError) in
            for section in sections {
                var r = BSATNReader(UnsafeRawBufferPointer(rebasing: all[section]))
                let n: Int
                do throws(BSATNError) { n = try r.readLength(minElementSize: 4) } catch {
                    throw StoreError(.typeMismatch, "snapshot: \(error.message)")
                }
                for _ in 0..<n {
                    let row: UnsafeRawBufferPointer
                    do throws(BSATNError) { row = try r.readByteSlice() } catch {
                        throw StoreError(.typeMismatch, "snapshot: \(error.message)")
                    }
                    try body(row)
                }
                do throws(BSATNError) { try r.expectEnd() } catch {
                    throw StoreError(.typeMismatch, "snapshot: a row list is followed by \(error.message)")
                }
            }
        }
    }

    /// The number of rows in `sections` (each starts with its row count).
    func rowCount(_ sections: [Range<Int>]) -> Int {
        buffer.withUnsafeBytes { all in
            sections.reduce(0) { $0 + Int(UInt32(littleEndian: all.loadUnaligned(fromByteOffset: $1.lowerBound, as: UInt32.self))) }
        }
    }
}

extension Datastore {
    /// Loads a snapshot into a fresh datastore: system rows the bootstrap does not already hold
    /// are replayed as one delta (creating the user tables), then every user table loads in bulk.
    public func load(snapshot image: SnapshotImage) throws(StoreError) {
        var delta = TxDelta()
        for (id, sections) in image.tables where id < SystemTables.firstUserTableId {
            let t = try table(id)
            var inserts = RowList()
            try image.forEachRow(sections) { row in
                if t.findIdentical(row) == nil { inserts.append(row) }
            }
            if !inserts.isEmpty { delta.tables.append(TableDelta(tableId: id, tableName: "", inserts: inserts)) }
        }
        try replay(delta)
        for (id, sections) in image.tables where id >= SystemTables.firstUserTableId {
            let t = try table(id)
            guard t.rows.count == 0 else { throw StoreError(.invalidSchema, "snapshot lists table `\(t.name)` twice") }
            // Rows were valid when written, and the chunk checksums show they are unchanged.
            try t.bulkLoad(expectedRows: image.rowCount(sections), validate: false) { (body) throws(StoreError) in
                try image.forEachRow(sections, body)
            }
        }
    }
}
