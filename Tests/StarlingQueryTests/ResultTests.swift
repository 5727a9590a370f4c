import StarlingQuery
import StarlingStore
import StarlingTypes
import Testing

struct ResultTests {
    @Test func jsonHasSchemaAndRows() throws {
        let db = try Fixture.make()
        let r = try run(db, "SELECT id, name FROM player WHERE id <= 2 ORDER BY id")[0]
        #expect(
            r.json.text
                == #"{"schema":[{"name":"id","type":"u64"},{"name":"name","type":"string"}],"rows":[[1,"ann"],[2,"bob"]]}"#
        )
        let all = try run(db, "SELECT nick, owner, big FROM player JOIN item ON owner_id = id WHERE item_id = 2")[0]
        #expect(
            all.json.text
                == #"{"schema":[{"name":"nick","type":"option<string>"},{"name":"owner","type":"identity"},{"name":"big","type":"u128"}],"rows":[["annie",""#
                + Fixture.idA.hexString + #"","340282366920938463463374607431768211455"]]}"#)
    }

    @Test func dmlResultsCarryAffectedRows() throws {
        let db = try Fixture.make()
        let rs = try run(db, "DELETE FROM item WHERE owner_id = 1; SELECT COUNT(*) FROM item")
        #expect(rs[0].affectedRows == 2)
        #expect(rs[0].columns.isEmpty && rs[0].rows.isEmpty)
        #expect(rs[0].json.text == #"{"schema":[],"rows":[]}"#)
        #expect(rs[1].affectedRows == nil)
        #expect(
            QueryResult.json(rs).text
                == #"[{"schema":[],"rows":[]},{"schema":[{"name":"count","type":"u64"}],"rows":[[5]]}]"#)
    }

    @Test func alignedTable() throws {
        let db = try Fixture.make()
        let r = try run(db, "SELECT id, name, rating, nick FROM player WHERE id <= 2 ORDER BY id")[0]
        #expect(
            r.textTable == """
                 id | name | rating | nick
                ----+------+--------+-------
                  1 | ann  |    4.5 | annie
                  2 | bob  |    3.0 |
                (2 rows)

                """)
        let one = try run(db, "SELECT tag, owner FROM item JOIN player ON id = owner_id WHERE item_id = 1")[0]
        #expect(
            one.textTable == """
                 tag  | owner
                ------+------------------------------------------------------------------
                 dead | \(Fixture.idA.hexString)
                (1 row)

                """)
        #expect(try run(db, "SELECT name FROM player WHERE id = 0")[0].textTable == " name\n------\n(0 rows)\n")
        #expect(try run(db, "UPDATE player SET score = 1 WHERE id = 1")[0].textTable == "1 row affected\n")
        #expect(try run(db, "DELETE FROM item")[0].textTable == "7 rows affected\n")
    }

    @Test func explainIsRowsOfText() throws {
        let db = try Fixture.make()
        let r = try run(db, "EXPLAIN SELECT * FROM guild")[0]
        #expect(r.columns == [.init(name: "plan", type: .string)])
        #expect(
            r.textTable
                == " plan\n------------------------------------\n Project: id, name, region, founded\n   Scan guild\n(2 rows)\n"
        )
    }

    @Test func readOnlyQueriesWorkOnReadTx() throws {
        let db = try Fixture.make()
        let rows = try db.read { tx throws(SQLError) in
            try QueryEngine.query(
                "SELECT name FROM player WHERE owner = :sender ORDER BY name", in: tx, context: Fixture.client)
        }
        #expect(rows[0].rows == [[.string("bob")], [.string("eve")]])
        #expect(throws: SQLError.self) {
            try db.read { tx throws(SQLError) in
                try QueryEngine.query("DELETE FROM player", in: tx, context: Fixture.owner)
            }
        }
    }

    @Test func dmlCommitsWithTheTransaction() throws {
        let db = try Fixture.make()
        let (_, delta) = try db.write { tx throws(SQLError) in
            try QueryEngine.execute("UPDATE player SET score = 7 WHERE name = 'ann'", in: tx, context: Fixture.owner)
        }
        #expect(delta[table: "player"]?.inserts.count == 1)
        #expect(delta[table: "player"]?.deletes.count == 1)
        let score = try db.read { tx throws(SQLError) in
            try QueryEngine.query("SELECT score FROM player WHERE name = 'ann'", in: tx, context: Fixture.owner)
        }
        #expect(score[0].rows == [[.i32(7)]])
    }
}
