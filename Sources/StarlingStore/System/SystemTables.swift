import StarlingTypes

/// The tables that describe the schema itself, readable like any table:
///
/// | table | one row per | columns |
/// | --- | --- | --- |
/// | `st_table` | table | table_id, table_name, table_type, table_access, primary_key |
/// | `st_column` | column | table_id, col_pos, col_name, col_type (readable rendering), col_type_bsatn (the type in BSATN) |
/// | `st_index` | index | index_id, table_id, index_name, index_algorithm, columns, is_unique |
/// | `st_constraint` | unique constraint | constraint_id, table_id, constraint_name, constraint_kind, columns |
/// | `st_sequence` | sequence | sequence_id, table_id, sequence_name, col_pos, start, increment, min_value, max_value, allocated |
/// | `st_column_default` | column appended with a default | table_id, col_pos, default_value (JSON text), default_bsatn (the value in BSATN) |
///
/// `st_column_default` records the value the rows that existed when `MutTx.addColumns` appended a
/// column received (columns appended without one got zero values and have no row). It has no
/// index, so adding it did not shift the index and constraint ids that older logs recorded.
/// They are written only by schema changes (and `st_sequence.allocated` by sequence blocks);
/// user writes fail with `systemTableReadOnly`.
public enum SystemTables {
    public static let stTable: TableId = 0
    public static let stColumn: TableId = 1
    public static let stIndex: TableId = 2
    public static let stConstraint: TableId = 3
    public static let stSequence: TableId = 4
    public static let stColumnDefault: TableId = 5
    /// User tables are numbered from here.
    public static let firstUserTableId: TableId = 4096

    static let schemas: [(TableId, TableSchema)] = [
        (
            stTable,
            systemSchema(
                "st_table",
                [
                    ("table_id", .u32), ("table_name", .string), ("table_type", .string), ("table_access", .string),
                    ("primary_key", .option(.u16)),
                ], pk: 0, unique: [[1]])
        ),
        (
            stColumn,
            systemSchema(
                "st_column",
                [
                    ("table_id", .u32), ("col_pos", .u16), ("col_name", .string), ("col_type", .string),
                    ("col_type_bsatn", .bytes),
                ],
                pk: nil, unique: [[0, 1]])
        ),
        (
            stIndex,
            systemSchema(
                "st_index",
                [
                    ("index_id", .u32), ("table_id", .u32), ("index_name", .string), ("index_algorithm", .string),
                    ("columns", .array(.u16)), ("is_unique", .bool),
                ], pk: 0, unique: [], indexed: [[1]])
        ),
        (
            stConstraint,
            systemSchema(
                "st_constraint",
                [
                    ("constraint_id", .u32), ("table_id", .u32), ("constraint_name", .string),
                    ("constraint_kind", .string), ("columns", .array(.u16)),
                ], pk: 0, unique: [], indexed: [[1]])
        ),
        (
            stSequence,
            systemSchema(
                "st_sequence",
                [
                    ("sequence_id", .u32), ("table_id", .u32), ("sequence_name", .string), ("col_pos", .u16),
                    ("start", .i128), ("increment", .i128), ("min_value", .i128), ("max_value", .i128),
                    ("allocated", .i128),
                ], pk: 0, unique: [], indexed: [[1]])
        ),
        (
            stColumnDefault,
            systemSchema(
                "st_column_default",
                [("table_id", .u32), ("col_pos", .u16), ("default_value", .string), ("default_bsatn", .bytes)],
                pk: nil, unique: [])
        ),
    ]

    private static func systemSchema(
        _ name: String, _ cols: [(String, AlgebraicType)], pk: Int?, unique: [[Int]], indexed: [[Int]] = []
    ) -> TableSchema {
        let raw = TableSchema(
            name: name, columns: cols.map { ColumnSchema($0.0, $0.1) }, primaryKey: pk,
            indexes: indexed.map { IndexSchema(name: "", columns: $0) },
            constraints: unique.map { ConstraintSchema(name: "", columns: $0) }, access: .public, tableType: .system)
        return try! SchemaValidator.normalize(raw)
    }

    /// Creates the system tables and the rows describing them.
    static func bootstrap(_ store: Datastore) {
        var all: [(Table, [ConstraintId])] = []
        for (id, schema) in schemas {
            let table = Table(
                id: id, schema: schema, indexIds: schema.indexes.map { _ in store.allocateIndexId() }, sequenceIds: [])
            store.register(table)
            all.append((table, schema.constraints.map { _ in store.allocateConstraintId() }))
        }
        for (table, constraintIds) in all {
            for row in rows(describing: table, constraintIds: constraintIds) {
                _ = row.bytes.withUnsafeBytes { store.tables[row.table]!.insertUnchecked($0, flagged: false) }
            }
        }
    }

    /// The system-table rows that describe `table`.
    static func rows(describing table: Table, constraintIds: [ConstraintId]) -> [(table: TableId, bytes: [UInt8])] {
        let s = table.schema
        var out: [(TableId, [UInt8])] = []
        func add(_ t: TableId, _ values: [AlgebraicValue]) { out.append((t, AlgebraicValue.product(values).bsatn)) }
        add(
            stTable,
            [
                .u32(table.id), .string(s.name), .string(s.tableType.rawValue), .string(s.access.rawValue),
                .option(s.primaryKey.map { .u16(UInt16($0)) }),
            ])
        for (i, c) in s.columns.enumerated() { add(stColumn, columnRow(c, position: i, table: table.id)) }
        for idx in table.indexes { add(stIndex, indexRow(idx, table: table.id)) }
        for (i, c) in s.constraints.enumerated() { add(stConstraint, constraintRow(c, id: constraintIds[i], table: table.id)) }
        for q in table.sequences { add(stSequence, sequenceRow(q, table: table.id)) }
        return out
    }

    /// The `st_column` row of column `position` of `table`.
    static func columnRow(_ c: ColumnSchema, position: Int, table: TableId) -> [AlgebraicValue] {
        [.u32(table), .u16(UInt16(position)), .string(c.name), .string(c.type.description), .bytes(c.type.bsatn)]
    }

    /// The `st_column_default` row of column `position` of `table`, appended with `value`.
    static func columnDefaultRow(_ value: AlgebraicValue, of c: ColumnSchema, position: Int, table: TableId) -> [AlgebraicValue] {
        [.u32(table), .u16(UInt16(position)), .string(value.json(c.type).text), .bytes(value.bsatn)]
    }

    /// The `st_index` row of an index of `table`.
    static func indexRow(_ idx: TableIndex, table: TableId) -> [AlgebraicValue] {
        [
            .u32(idx.id), .u32(table), .string(idx.schema.name), .string(idx.schema.algorithm.rawValue),
            columnList(idx.schema.columns), .bool(idx.schema.isUnique),
        ]
    }

    /// The `st_constraint` row of a unique constraint of `table`.
    static func constraintRow(_ c: ConstraintSchema, id: ConstraintId, table: TableId) -> [AlgebraicValue] {
        [.u32(id), .u32(table), .string(c.name), .string("unique"), columnList(c.columns)]
    }

    private static func columnList(_ cols: [Int]) -> AlgebraicValue { .array(cols.map { .u16(UInt16($0)) }) }

    private static func sequenceRow(_ q: SequenceState, table: TableId) -> [AlgebraicValue] {
        [
            .u32(q.id), .u32(table), .string(q.schema.name), .u16(UInt16(q.schema.column)), .i128(q.schema.start),
            .i128(q.schema.increment), .i128(q.schema.min), .i128(q.schema.max), .i128(q.allocated),
        ]
    }

    /// Writes a sequence's new reservation into `st_sequence`.
    static func recordAllocation(_ tx: MutTx, sequence q: SequenceState) throws(StoreError) {
        let st = tx.store.tables[stSequence]!
        guard let pk = st.identityIndex, let old = pk.first(.u64(UInt64(q.id))) else { return }
        let tableId = st.rows.row(old).loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let row = AlgebraicValue.product(sequenceRow(q, table: TableId(littleEndian: tableId))).bsatn
        _ = try row.withBytes { (b) throws(StoreError) in try tx.updateValidated(st, pk, b) }
    }
}
