import StarlingTypes
import Testing

@testable import StarlingStore

/// The benchmark's table shape: id (auto-inc primary key), name (unique), x, y.
func playerSchema() -> TableSchema {
    TableSchema(
        name: "player",
        columns: [.init("id", .u64), .init("name", .string), .init("x", .f32), .init("y", .f32)],
        primaryKey: 0,
        indexes: [IndexSchema(name: "player_x", columns: [2])],
        constraints: [ConstraintSchema(name: "", columns: [1])],
        sequences: [SequenceSchema(name: "", column: 0)]
    )
}

func player(_ id: UInt64, _ name: String, _ x: Float = 0, _ y: Float = 0) -> [AlgebraicValue] {
    [.u64(id), .string(name), .f32(x), .f32(y)]
}

struct DatastoreSmokeTests {
    @Test func createInsertCommitRead() throws {
        let db = Datastore()
        let (table, delta) = try db.write { tx throws(StoreError) in
            let t = try tx.createTable(playerSchema())
            try tx.insert(t, values: player(0, "ann", 1, 2))
            try tx.insert(t, values: player(0, "bob", 3, 4))
            return t
        }
        #expect(delta[table: "player"]?.inserts.count == 2)
        #expect(delta[table: "st_table"]?.inserts.count == 1)
        let rows = try db.read { tx throws(StoreError) in try tx.values(table) }
        #expect(Set(rows) == [.product(player(1, "ann", 1, 2)), .product(player(2, "bob", 3, 4))])
    }

    @Test func uniqueViolationRollsBack() throws {
        let db = Datastore()
        let (t, _) = try db.write { tx throws(StoreError) in
            let t = try tx.createTable(playerSchema())
            try tx.insert(t, values: player(0, "ann"))
            return t
        }
        #expect(throws: StoreError.self) {
            try db.write { tx throws(StoreError) in
                try tx.insert(t, values: player(0, "cat"))
                try tx.insert(t, values: player(0, "ann"))
            }
        }
        let names = try db.read { tx throws(StoreError) in try tx.values(t) }
        #expect(names == [.product(player(1, "ann"))])
    }
}
