import StarlingStore
import StarlingTypes
import Testing

@testable import StarlingQuery

/// Subscription queries on the conformance fixture: what compiles, the errors, row-level
/// security, sharing keys and pruning.
struct LiveQueryTests {
    static func compile(_ db: Datastore, _ sql: String, _ context: QueryContext = Fixture.owner) throws(SQLError) -> LiveQuery {
        try db.read { tx throws(SQLError) in try LiveQuery.compile(sql, in: tx, context: context) }
    }

    static func names(_ db: Datastore, _ q: LiveQuery, column: Int = 1) throws -> [String] {
        let schema = try db.read { tx throws(StoreError) in try tx.schema(try tx.tableId(q.tableName)) }
        return try db.read { tx throws(SQLError) in try q.rows(in: tx) }.map { bytes in
            guard case .product(let v)? = try? AlgebraicValue.decode(.product(schema.rowType), from: bytes),
                case .string(let s) = v[column]
            else { return "?" }
            return s
        }.sorted()
    }

    @Test func initialRowsOfFiltersAndJoins() throws {
        let db = try Fixture.make()
        #expect(try Self.names(db, Self.compile(db, "SELECT * FROM player WHERE level = 10")) == ["ann", "cat"])
        let join = try Self.compile(db, "SELECT g.* FROM guild g JOIN player p ON p.guild_id = g.id WHERE p.active")
        #expect(try Self.names(db, join) == ["blue", "green", "red"])
        // Three tables: players owning a sword, in an `eu` guild (ann and bob, both in guild 1).
        let three = try Self.compile(
            db,
            "SELECT p.* FROM player p JOIN item i ON i.owner_id = p.id JOIN guild g ON g.id = p.guild_id WHERE i.kind = 'sword' AND g.region = 'eu'")
        #expect(try Self.names(db, three) == ["ann", "bob"])
    }

    @Test(arguments: [
        ("SELECT * FROM player ORDER BY id", "ORDER BY"),
        ("SELECT * FROM player LIMIT 3", "LIMIT"),
        ("SELECT * FROM player p JOIN guild g ON g.id = p.guild_id", "SELECT p.*"),
        ("SELECT name FROM player", "whole rows"),
        ("SELECT COUNT(*) FROM player", "whole rows"),
        ("DELETE FROM player", "SELECT query"),
        ("SELECT * FROM player; SELECT * FROM guild", "one SELECT"),
        ("SELECT * FROM playr", "did you mean `player`"),
        ("SELECT x.* FROM player p", "x"),
    ])
    func invalidSubscriptions(sql: String, message: String) throws {
        let db = try Fixture.make()
        #expect {
            _ = try Self.compile(db, sql)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func privateTablesAreMissingForClients() throws {
        let db = try Fixture.make()
        _ = try Self.compile(db, "SELECT * FROM secret")
        #expect(throws: SQLError.self) { try Self.compile(db, "SELECT * FROM secret", Fixture.client) }
        #expect(throws: SQLError.self) {
            try Self.compile(db, "SELECT p.* FROM player p JOIN secret s ON s.owner = p.owner", Fixture.client)
        }
    }

    @Test func rowLevelSecurityIsOredPerTableAndAppliesThroughAliasesAndJoins() throws {
        let db = try Fixture.make()
        let rls = try RowLevelSecurity([
            "SELECT * FROM player WHERE player.owner = :sender", "SELECT player.* FROM player WHERE level = 30",
        ])
        var context = Fixture.client  // idB: owns bob and eve; dan has level 30
        context.rowFilters = rls.rowFilters
        #expect(try Self.names(db, Self.compile(db, "SELECT * FROM player", context)) == ["bob", "dan", "eve"])
        #expect(try Self.names(db, Self.compile(db, "SELECT q.* FROM player q WHERE q.score >= 0", context)) == ["dan", "eve"])
        // The filter also limits the tables a query only joins with.
        let guilds = try Self.compile(db, "SELECT g.* FROM guild g JOIN player p ON p.guild_id = g.id", context)
        #expect(try Self.names(db, guilds) == ["blue", "green", "red"])
        let eu = try Self.compile(db, "SELECT g.* FROM guild g JOIN player p ON p.guild_id = g.id WHERE p.level = 20", context)
        #expect(try Self.names(db, eu) == ["green", "red"])
    }

    @Test(arguments: [
        "SELECT * FROM player p JOIN guild g ON g.id = p.guild_id WHERE g.id = 1", "DELETE FROM player",
        "SELECT * FROM player", "SELECT name FROM player WHERE level = 1", "SELECT * FROM player WHERE (",
    ])
    func invalidRowFilters(sql: String) {
        #expect(throws: SQLError.self) { try RowLevelSecurity([sql]) }
    }

    @Test func equalQueriesShareAKeyAndSenderSeparatesThem() throws {
        let db = try Fixture.make()
        let a = try Self.compile(db, "SELECT * FROM player WHERE level = 10")
        let b = try Self.compile(db, "select *  from player where level = 10", Fixture.client)
        let c = try Self.compile(db, "SELECT * FROM player WHERE level = 20")
        #expect(a.key == b.key)
        #expect(a.key != c.key)
        let mine = try Self.compile(db, "SELECT * FROM player WHERE owner = :sender", Fixture.client)
        let theirs = try Self.compile(db, "SELECT * FROM player WHERE owner = :sender", Fixture.owner)
        #expect(mine.key != theirs.key)
    }

    /// 10,000 `WHERE id = k` subscriptions: a transaction touching one row is offered one of them.
    @Test func pruningOffersOnlyTheQueriesOfTheChangedValues() throws {
        let db = try Fixture.make()
        var index = LiveQueryIndex<Int>()
        for k in 0..<10_000 { index.insert(k, try Self.compile(db, "SELECT * FROM item WHERE item_id = \(k)")) }
        index.insert(-1, try Self.compile(db, "SELECT * FROM item WHERE qty > 1"))
        index.insert(-2, try Self.compile(db, "SELECT * FROM guild"))
        let itemTable = try db.read { tx throws(StoreError) in try tx.tableId("item") }
        let delta = try db.write { tx throws(StoreError) in
            try tx.insert(itemTable, values: Fixture.itemRow(1, "axe", 1, 1, 1, 1, 1, 1, []))
        }.delta
        let candidates = try index.candidates(TxChanges(delta))
        #expect(candidates == [8, -1])
        // Removing a query takes it out of the index.
        index.remove(8, try Self.compile(db, "SELECT * FROM item WHERE item_id = 8"))
        #expect(try index.candidates(TxChanges(delta)) == [-1])
    }
}
