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
}
