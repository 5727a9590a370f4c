import StarlingTypes
import Testing

@Suite struct ModuleSchemaTests {
    @Test func tableItemRoundTripsAndImpliesKeyIndexes() throws {
        let item = ModuleItem.table(
            TableItem(
                name: "player", columns: [ColumnItem("id", .u64), ColumnItem("name", .string), ColumnItem("x", .f32)],
                primaryKey: 0, indexes: [IndexItem(columns: [2])], unique: [[1]], autoInc: [0], isPublic: true))
        let decoded = try ModuleItem.decode(from: item.bsatn)
        #expect(decoded == item)
        let schema = try ModuleSchema(items: [decoded])
        let t = schema.tables[0]
        #expect(t.indexes.map(\.name).sorted() == ["player_id_key", "player_name_key", "player_x_idx"])
        #expect(t.indexes.first { $0.name == "player_id_key" }?.isUnique == true)
        #expect(t.sequences.map(\.column) == [0])
        #expect(t.access == .public)
    }

    @Test func refusesBadSchemasWithAReason() throws {
        let bad = TableItem(name: "t", columns: [ColumnItem("s", .string)], autoInc: [0])
        #expect(throws: ModuleSchemaError("table `t`: auto-increment column `s` has type string, not an integer")) {
            try ModuleSchema(items: [.table(bad)])
        }
        let twice = [ModuleItem.reducer(ReducerItem(name: "a", lifecycle: .initialize)), .reducer(ReducerItem(name: "b", lifecycle: .initialize))]
        #expect(throws: ModuleSchemaError.self) { try ModuleSchema(items: twice) }
        let sched = TableItem(
            name: "tick", columns: [ColumnItem("id", .u64), ColumnItem("at", .scheduleAt)],
            schedule: .init(reducer: "missing", atColumn: 1))
        #expect(throws: ModuleSchemaError("table `tick` is scheduled to call reducer `missing`, which does not exist")) {
            try ModuleSchema(items: [.table(sched)])
        }
    }

    /// `column_default` items (tag 4): round trip, lookup by column name, and refusals.
    @Test func columnDefaultsAreValidated() throws {
        let table = ModuleItem.table(
            TableItem(name: "player", columns: [ColumnItem("id", .u64), ColumnItem("level", .u32), ColumnItem("title", .string)]))
        let level = ModuleItem.columnDefault(ColumnDefaultItem(table: "player", column: 1, value: AlgebraicValue.u32(1).bsatn))
        let title = ModuleItem.columnDefault(ColumnDefaultItem(table: "player", column: 2, value: AlgebraicValue.string("x").bsatn))
        #expect(level.bsatn.first == 4)
        #expect(try ModuleItem.decode(from: level.bsatn) == level)
        let schema = try ModuleSchema(items: [table, level, title])
        #expect(schema.defaultValues(of: "player") == ["level": .u32(1), "title": .string("x")])
        #expect(try ModuleSchema(items: [table]).defaultValues(of: "player").isEmpty)

        let wrongType = ModuleItem.columnDefault(ColumnDefaultItem(table: "player", column: 2, value: AlgebraicValue.u32(1).bsatn))
        do {
            _ = try ModuleSchema(items: [table, wrongType])
            Issue.record("a u32 default for a string column was accepted")
        } catch {
            #expect(error.message.hasPrefix("table `player`: the default value of column `title` is not a value of its type string"))
        }
        let trailing = ModuleItem.columnDefault(ColumnDefaultItem(table: "player", column: 1, value: [1, 0, 0, 0, 9]))
        #expect(throws: ModuleSchemaError.self) { try ModuleSchema(items: [table, trailing]) }
        let noTable = ModuleItem.columnDefault(ColumnDefaultItem(table: "nope", column: 0, value: []))
        #expect(throws: ModuleSchemaError("a column default names table `nope`, which the module does not declare")) {
            try ModuleSchema(items: [table, noTable])
        }
        let noColumn = ModuleItem.columnDefault(ColumnDefaultItem(table: "player", column: 3, value: []))
        #expect(throws: ModuleSchemaError("table `player`: a column default refers to column 3, but the table has 3 columns")) {
            try ModuleSchema(items: [table, noColumn])
        }
        #expect(throws: ModuleSchemaError("table `player`: column `level` has two defaults")) {
            try ModuleSchema(items: [table, level, level])
        }
    }
}
