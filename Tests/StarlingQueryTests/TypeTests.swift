import StarlingQuery
import StarlingStore
import StarlingTypes
import Testing

/// Column types the conformance fixture does not have: connection ids, durations, option of an
/// identity, array<u8>, a product column, i16 and u32 extremes.
struct TypeTests {
    static let schema = TableSchema(
        name: "misc",
        columns: [
            .init("id", .u32), .init("conn", .connectionId), .init("dur", .timeDuration),
            .init("who", .option(.identity)),
            .init("raw", .array(.u8)), .init("pos", .product(ProductType([.init("x", .f32), .init("y", .f32)]))),
            .init("small", .i16), .init("medium", .u32),
        ],
        primaryKey: 0,
        indexes: [IndexSchema(name: "misc_conn", columns: [1]), IndexSchema(name: "misc_dur", columns: [2])])

    func make() throws -> Datastore {
        let db = Datastore()
        _ = try db.write { tx throws(StoreError) in
            let t = try tx.createTable(Self.schema)
            for (id, conn, dur, who, raw, small, medium) in [
                (1, 0x10, 5, Fixture.idA, [1, 2], -32768, 4_294_967_295), (2, 0xabcdef, -7, nil, [], 0, 0),
                (3, 0x10, 1_000_000, Fixture.idB, [255], 32767, 7),
            ] as [(UInt32, UInt128, Int64, Identity?, [UInt8], Int16, UInt32)] {
                try tx.insert(
                    t,
                    values: [
                        .u32(id), .connectionId(ConnectionId(conn)), .timeDuration(TimeDuration(micros: dur)),
                        .option(who.map { .identity($0) }), .array(raw.map { .u8($0) }),
                        .product([.f32(Float(id)), .f32(0)]),
                        .i16(small), .u32(medium),
                    ])
            }
        }
        return db
    }

    func ids(_ db: Datastore, _ sql: String, context: QueryContext = Fixture.owner) throws -> [UInt32] {
        try run(db, sql, context: context)[0].rows.map { row in
            guard case .u32(let id) = row[0] else { return 0 }
            return id
        }
    }

    @Test func literalsOfSpecialTypes() throws {
        let db = try make()
        #expect(try ids(db, "SELECT id FROM misc WHERE conn = 0x10 ORDER BY id") == [1, 3])
        #expect(try ids(db, "SELECT id FROM misc WHERE conn = X'ABCDEF'") == [2])
        #expect(try ids(db, "SELECT id FROM misc WHERE dur > 0 ORDER BY dur DESC") == [3, 1])
        #expect(try ids(db, "SELECT id FROM misc WHERE dur = -7") == [2])
        #expect(try ids(db, "SELECT id FROM misc WHERE who = :sender") == [1])
        #expect(try ids(db, "SELECT id FROM misc WHERE who = :sender", context: Fixture.client) == [3])
        #expect(try ids(db, "SELECT id FROM misc WHERE who IS NULL") == [2])
        #expect(try ids(db, "SELECT id FROM misc WHERE raw = X'0102'") == [1])
        #expect(try ids(db, "SELECT id FROM misc WHERE raw = X''") == [2])
        #expect(try ids(db, "SELECT id FROM misc WHERE small = -32768 OR medium = 4294967295") == [1])
        #expect(try ids(db, "SELECT id FROM misc WHERE pos = pos ORDER BY id") == [1, 2, 3])
        #expect(try ids(db, "SELECT id FROM misc ORDER BY conn DESC, id") == [2, 1, 3])
    }

    @Test func jsonOfSpecialTypes() throws {
        let db = try make()
        let r = try run(db, "SELECT conn, dur, raw, pos FROM misc WHERE id = 1")[0]
        #expect(
            r.json.text
                == #"{"schema":[{"name":"conn","type":"connection_id"},{"name":"dur","type":"time_duration"},{"name":"raw","type":"array<u8>"},{"name":"pos","type":"(x: f32, y: f32)"}],"rows":[["00000000000000000000000000000010",5,[1,2],{"x":1.0,"y":0.0}]]}"#
        )
    }

    @Test func errorsOfSpecialTypes() throws {
        let db = try make()
        func error(_ sql: String) -> String {
            do {
                _ = try run(db, sql)
                return "no error"
            } catch { return error.description }
        }
        #expect(
            error("SELECT id FROM misc WHERE pos = 1").contains(
                "(x: f32, y: f32) needs a value that SQL cannot write, found an integer"))
        #expect(error("SELECT id FROM misc WHERE pos < pos").contains("values of type (x: f32, y: f32) have no order"))
        #expect(
            error("SELECT id FROM misc ORDER BY pos").contains(
                "cannot ORDER BY `pos`: values of type (x: f32, y: f32) have no order"))
        #expect(
            error("SELECT id FROM misc WHERE conn = 'x'").contains(
                "connection_id needs a hex literal (0x... or X'...'), found a string"))
        #expect(
            error("SELECT id FROM misc WHERE conn = 0x" + String(repeating: "1", count: 33)).contains(
                "has 33 hex digits; connection_id takes at most 32"))
        #expect(
            error("SELECT id FROM misc WHERE small = 32768").contains("32768 is out of range for i16 (-32768...32767)"))
        #expect(error("SELECT id FROM misc WHERE medium = -1").contains("-1 is out of range for u32 (0...4294967295)"))
        #expect(
            error("SELECT id FROM misc WHERE who = 5").contains(
                "identity needs a hex literal (0x... or X'...') or :sender, found an integer"))
        #expect(error("SELECT id, COUNT(*) FROM misc").contains("COUNT(*) cannot be combined with other columns"))
    }

    @Test func insertAndUpdateSpecialTypes() throws {
        let db = try make()
        let rows = try run(
            db,
            """
            UPDATE misc SET who = NULL, conn = 0xff, dur = 9 WHERE id = 1;
            SELECT id, conn, dur, who FROM misc WHERE conn = 0xFF
            """)
        #expect(
            rows[1].rows == [
                [.u32(1), .connectionId(ConnectionId(0xff)), .timeDuration(TimeDuration(micros: 9)), .option(nil)]
            ])
        #expect(throws: SQLError.self) {
            try run(db, "INSERT INTO misc (id, conn, dur, raw, pos, small, medium) VALUES (9, 0x1, 1, X'', 1, 1, 1)")
        }
    }
}
