import StarlingTypes
import Testing

@testable import StarlingStore

/// The rows of st_table, st_column, st_index, st_constraint, st_sequence and st_column_default.
struct SystemTableTests {
    /// id u64 (primary key, auto-inc), name string (unique), score i32 (unnamed btree index),
    /// tag string (hash index named `thing_by_tag`).
    static func thingSchema() -> TableSchema {
        TableSchema(
            name: "thing", columns: [.init("id", .u64), .init("name", .string), .init("score", .i32), .init("tag", .string)],
            primaryKey: 0,
            indexes: [IndexSchema(name: "", columns: [2]), IndexSchema(name: "thing_by_tag", columns: [3], algorithm: .hash)],
            constraints: [ConstraintSchema(name: "", columns: [1])],
            sequences: [SequenceSchema(name: "", column: 0)])
    }

    static func cols(_ c: [UInt16]) -> AlgebraicValue { .array(c.map { .u16($0) }) }

    /// The system rows of one table (by `table_id`, which is column 0 of st_table and st_column and
    /// column 1 of the others), as sets.
    static func systemRows(_ tx: some StoreReading, of table: TableId) throws -> [TableId: Set<[AlgebraicValue]>] {
        var out: [TableId: Set<[AlgebraicValue]>] = [:]
        for st in [SystemTables.stTable, SystemTables.stColumn] {
            out[st] = Set(try rowValues(tx, st).filter { $0[0] == .u32(table) })
        }
        for st in [SystemTables.stIndex, SystemTables.stConstraint, SystemTables.stSequence] {
            out[st] = Set(try rowValues(tx, st).filter { $0[1] == .u32(table) })
        }
        return out
    }

    @Test func userTableIsDescribedExactly() throws {
        let (db, t) = try makeStore(Self.thingSchema())
        #expect(t == SystemTables.firstUserTableId)
        try insertRows(db, t, [[.u64(0), .string("a"), .i32(1), .string("x")]])
        let rows = try db.read { tx in try Self.systemRows(tx, of: t) }
        // Ids: the system tables hold index ids 0...8 and constraint ids 0...5; sequences start at 0.
        #expect(
            rows[SystemTables.stTable] == [[.u32(t), .string("thing"), .string("user"), .string("public"), .option(.u16(0))]])
        #expect(
            rows[SystemTables.stColumn] == [
                [.u32(t), .u16(0), .string("id"), .string("u64"), .bytes(AlgebraicType.u64.bsatn)],
                [.u32(t), .u16(1), .string("name"), .string("string"), .bytes(AlgebraicType.string.bsatn)],
                [.u32(t), .u16(2), .string("score"), .string("i32"), .bytes(AlgebraicType.i32.bsatn)],
                [.u32(t), .u16(3), .string("tag"), .string("string"), .bytes(AlgebraicType.string.bsatn)],
            ])
        #expect(
            rows[SystemTables.stIndex] == [
                [.u32(9), .u32(t), .string("thing_score_idx_btree"), .string("btree"), Self.cols([2]), .bool(false)],
                [.u32(10), .u32(t), .string("thing_by_tag"), .string("hash"), Self.cols([3]), .bool(false)],
                [.u32(11), .u32(t), .string("thing_name_idx_btree"), .string("btree"), Self.cols([1]), .bool(true)],
                [.u32(12), .u32(t), .string("thing_id_idx_btree"), .string("btree"), Self.cols([0]), .bool(true)],
            ])
        #expect(
            rows[SystemTables.stConstraint] == [
                [.u32(6), .u32(t), .string("thing_name_key"), .string("unique"), Self.cols([1])],
                [.u32(7), .u32(t), .string("thing_id_key"), .string("unique"), Self.cols([0])],
            ])
        #expect(
            rows[SystemTables.stSequence] == [
                [
                    .u32(0), .u32(t), .string("thing_id_seq"), .u16(0), .i128(1), .i128(1), .i128(1), .i128(Int128(Int64.max)),
                    .i128(4096),
                ]
            ])
        // Nothing else: the system tables hold exactly the system rows plus these.
        let counts = try db.read { tx in
            try [
                SystemTables.stTable, SystemTables.stColumn, SystemTables.stIndex, SystemTables.stConstraint,
                SystemTables.stSequence,
            ]
            .map { try tx.rowCount($0) }
        }
        #expect(counts == [6 + 1, 34 + 4, 9 + 4, 6 + 2, 0 + 1])
        // The index ids in st_index are the ones the datastore answers with.
        try db.read { tx in
            for name in ["thing_score_idx_btree", "thing_by_tag", "thing_name_idx_btree", "thing_id_idx_btree"] {
                let id = try tx.indexId(name, table: t)
                #expect(rows[SystemTables.stIndex]!.contains { $0[0] == .u32(id) && $0[2] == .string(name) })
            }
            // st_index can be searched by its table_id index.
            let byTable = try tx.indexId("st_index_table_id_idx_btree", table: SystemTables.stIndex)
            #expect(try tx.seekRows(byTable, IndexKey(.u32(t))).count == 4)
        }
    }

    @Test func systemTablesDescribeThemselves() throws {
        let db = Datastore()
        let (tables, columns, indexes, constraints, sequences) = try db.read { tx in
            (
                Set(try rowValues(tx, SystemTables.stTable)), Set(try rowValues(tx, SystemTables.stColumn)),
                Set(try rowValues(tx, SystemTables.stIndex)), Set(try rowValues(tx, SystemTables.stConstraint)),
                try rowValues(tx, SystemTables.stSequence)
            )
        }
        func table(_ id: TableId, _ name: String, pk: Bool) -> [AlgebraicValue] {
            [.u32(id), .string(name), .string("system"), .string("public"), .option(pk ? .u16(0) : nil)]
        }
        #expect(
            tables == [
                table(0, "st_table", pk: true), table(1, "st_column", pk: false), table(2, "st_index", pk: true),
                table(3, "st_constraint", pk: true), table(4, "st_sequence", pk: true),
                table(5, "st_column_default", pk: false),
            ])
        let expectedColumns: [(TableId, [(String, String)])] = [
            (
                0,
                [
                    ("table_id", "u32"), ("table_name", "string"), ("table_type", "string"), ("table_access", "string"),
                    ("primary_key", "option<u16>"),
                ]
            ),
            (
                1,
                [
                    ("table_id", "u32"), ("col_pos", "u16"), ("col_name", "string"), ("col_type", "string"),
                    ("col_type_bsatn", "bytes"),
                ]
            ),
            (
                2,
                [
                    ("index_id", "u32"), ("table_id", "u32"), ("index_name", "string"), ("index_algorithm", "string"),
                    ("columns", "array<u16>"), ("is_unique", "bool"),
                ]
            ),
            (
                3,
                [
                    ("constraint_id", "u32"), ("table_id", "u32"), ("constraint_name", "string"), ("constraint_kind", "string"),
                    ("columns", "array<u16>"),
                ]
            ),
            (
                4,
                [
                    ("sequence_id", "u32"), ("table_id", "u32"), ("sequence_name", "string"), ("col_pos", "u16"),
                    ("start", "i128"),
                    ("increment", "i128"), ("min_value", "i128"), ("max_value", "i128"), ("allocated", "i128"),
                ]
            ),
            (5, [("table_id", "u32"), ("col_pos", "u16"), ("default_value", "string"), ("default_bsatn", "bytes")]),
        ]
        var expectedColumnRows = Set<[AlgebraicValue]>()
        for (t, cs) in expectedColumns {
            for (i, c) in cs.enumerated() { expectedColumnRows.insert([.u32(t), .u16(UInt16(i)), .string(c.0), .string(c.1)]) }
        }
        #expect(Set(columns.map { Array($0.prefix(4)) }) == expectedColumnRows)
        #expect(columns.allSatisfy { row in (try? AlgebraicType.decode(from: row[4].bytesValue)).map { $0.description } == row[3].stringValue })
        func index(_ id: UInt32, _ t: TableId, _ name: String, _ c: [UInt16], _ unique: Bool) -> [AlgebraicValue] {
            [.u32(id), .u32(t), .string(name), .string("btree"), Self.cols(c), .bool(unique)]
        }
        #expect(
            indexes == [
                index(0, 0, "st_table_table_name_idx_btree", [1], true), index(1, 0, "st_table_table_id_idx_btree", [0], true),
                index(2, 1, "st_column_table_id_col_pos_idx_btree", [0, 1], true),
                index(3, 2, "st_index_table_id_idx_btree", [1], false), index(4, 2, "st_index_index_id_idx_btree", [0], true),
                index(5, 3, "st_constraint_table_id_idx_btree", [1], false),
                index(6, 3, "st_constraint_constraint_id_idx_btree", [0], true),
                index(7, 4, "st_sequence_table_id_idx_btree", [1], false),
                index(8, 4, "st_sequence_sequence_id_idx_btree", [0], true),
            ])
        func constraint(_ id: UInt32, _ t: TableId, _ name: String, _ c: [UInt16]) -> [AlgebraicValue] {
            [.u32(id), .u32(t), .string(name), .string("unique"), Self.cols(c)]
        }
        #expect(
            constraints == [
                constraint(0, 0, "st_table_table_name_key", [1]), constraint(1, 0, "st_table_table_id_key", [0]),
                constraint(2, 1, "st_column_table_id_col_pos_key", [0, 1]), constraint(3, 2, "st_index_index_id_key", [0]),
                constraint(4, 3, "st_constraint_constraint_id_key", [0]), constraint(5, 4, "st_sequence_sequence_id_key", [0]),
            ])
        #expect(sequences.isEmpty)
        // The schemas the datastore reports agree with the rows.
        try db.read { tx in
            for (id, name) in try tx.tableNames() {
                let s = try tx.schema(id)
                #expect(s.name == name && s.tableType == .system && s.access == .public)
                #expect(try tx.tableId(name) == id)
                let described = columns.filter { $0[0] == .u32(id) }.count
                #expect(described == s.columns.count)
            }
        }
    }

    @Test func catalogRowsMatchSchemasForEveryTable() throws {
        let db = Datastore()
        _ = try db.write { tx throws(StoreError) in
            try tx.createTable(Self.thingSchema())
            try tx.createTable(playerSchema())
            try tx.createTable(TransactionTests.acctSchema())
        }
        try db.read { tx in
            let st = try rowValues(tx, SystemTables.stTable)
            let sc = try rowValues(tx, SystemTables.stColumn)
            let si = try rowValues(tx, SystemTables.stIndex)
            let sk = try rowValues(tx, SystemTables.stConstraint)
            let sq = try rowValues(tx, SystemTables.stSequence)
            #expect(try st.count == tx.tableNames().count)
            for (id, name) in try tx.tableNames() {
                let s = try tx.schema(id)
                let row = st.filter { $0[0] == .u32(id) }
                #expect(row.count == 1 && row[0][1] == .string(name) && row[0][2] == .string(s.tableType.rawValue))
                #expect(row.first?[4] == .option(s.primaryKey.map { .u16(UInt16($0)) }))
                let columns = sc.filter { $0[0] == .u32(id) }.sorted { SequenceTests.int($0[1]) < SequenceTests.int($1[1]) }
                #expect(columns.map { $0[2] } == s.columns.map { .string($0.name) }, "\(name)")
                #expect(columns.map { $0[3] } == s.columns.map { .string($0.type.description) })
                #expect(columns.map { $0[4] } == s.columns.map { .bytes($0.type.bsatn) })
                #expect(
                    Set(si.filter { $0[1] == .u32(id) }.map { [$0[2], $0[3], $0[4], $0[5]] })
                        == Set(
                            s.indexes.map {
                                [
                                    .string($0.name), .string($0.algorithm.rawValue), Self.cols($0.columns.map(UInt16.init)),
                                    .bool($0.isUnique),
                                ]
                            }))
                #expect(
                    Set(sk.filter { $0[1] == .u32(id) }.map { [$0[2], $0[4]] })
                        == Set(s.constraints.map { [.string($0.name), Self.cols($0.columns.map(UInt16.init))] }))
                #expect(Set(sq.filter { $0[1] == .u32(id) }.map { $0[2] }) == Set(s.sequences.map { .string($0.name) }))
            }
            // Ids are unique across tables.
            #expect(Set(si.map { $0[0] }).count == si.count)
            #expect(Set(sk.map { $0[0] }).count == sk.count)
            #expect(Set(sq.map { $0[0] }).count == sq.count && sq.count == 2)
        }
    }

    @Test func generatedNamesFollowTheValidatorsPattern() throws {
        let schema = TableSchema(
            name: "t", columns: [.init("a", .u32), .init("b", .string), .init("c", .i64), .init("n", .u16)],
            indexes: [
                IndexSchema(name: "", columns: [0, 1], algorithm: .hash),  // becomes unique through the constraint below
                IndexSchema(name: "", columns: [2], isUnique: true),  // gets a constraint
                IndexSchema(name: "kept", columns: [3, 2]),
                IndexSchema(name: "", columns: [1, 3]),
            ],
            constraints: [ConstraintSchema(name: "", columns: [0, 1]), ConstraintSchema(name: "my_key", columns: [3])],
            sequences: [SequenceSchema(name: "", column: 3)])
        let (db, t) = try makeStore(schema)
        let s = try db.read { tx in try tx.schema(t) }
        #expect(s.indexes.map(\.name) == ["t_a_b_idx_hash", "t_c_idx_btree", "kept", "t_b_n_idx_btree", "t_n_idx_btree"])
        #expect(s.indexes.map(\.isUnique) == [true, true, false, false, true])
        #expect(s.indexes.map(\.algorithm) == [.hash, .btree, .btree, .btree, .btree])
        #expect(s.constraints.map(\.name) == ["t_a_b_key", "my_key", "t_c_key"])
        #expect(s.constraints.map(\.columns) == [[0, 1], [3], [2]])
        #expect(s.sequences.map(\.name) == ["t_n_seq"])
        let rows = try db.read { tx in try Self.systemRows(tx, of: t) }
        #expect(Set(rows[SystemTables.stIndex]!.map { $0[2] }) == Set(s.indexes.map { .string($0.name) }))
        #expect(
            Set(rows[SystemTables.stConstraint]!.map { $0[2] }) == [.string("t_a_b_key"), .string("my_key"), .string("t_c_key")])
        #expect(rows[SystemTables.stTable]!.first?[4] == .option(nil))
        // A generated name that collides with a declared one is an invalid schema.
        var clash = schema
        clash.name = "u"
        clash.indexes[2].name = "u_a_b_idx_hash"
        expectStoreError(.invalidSchema) { try makeStore(clash) }
    }
}
