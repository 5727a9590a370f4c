import StarlingQuery
import StarlingStore
import StarlingTypes
import Testing

/// EXPLAIN output for each access path and join method (the plans are pinned exactly).
struct PlannerTests {
    func explain(_ sql: String, context: QueryContext = Fixture.owner) throws -> [String] {
        let db = try Fixture.make()
        let result = try run(db, "EXPLAIN " + sql, context: context)[0]
        return result.rows.map { row in
            guard case .string(let s) = row[0] else { return "?" }
            return s
        }
    }

    @Test func equalityOnPrimaryKeyUsesItsIndex() throws {
        #expect(
            try explain("SELECT name FROM player WHERE id = 3") == [
                "Project: name",
                "  Index Seek player USING player_id_idx_btree (id = 3)",
            ])
    }

    @Test func equalityOnUniqueStringColumn() throws {
        #expect(
            try explain("SELECT id FROM player WHERE name = 'ann' AND score > 0") == [
                "Project: id",
                "  Filter: score > 0",
                "    Index Seek player USING player_name_idx_btree (name = 'ann')",
            ])
    }

    @Test func rangeUsesBtreeIndexWithBothBounds() throws {
        #expect(
            try explain("SELECT name FROM player WHERE level > 5 AND level <= 20") == [
                "Project: name",
                "  Index Range player USING player_level (level > 5, level <= 20)",
            ])
        #expect(
            try explain("SELECT name FROM player WHERE 20 > level") == [
                "Project: name",
                "  Index Range player USING player_level (level < 20)",
            ])
    }

    @Test func multiColumnIndexWithEqualityPrefixAndRange() throws {
        #expect(
            try explain("SELECT name FROM player WHERE guild_id = 1 AND level >= 15") == [
                "Project: name",
                "  Index Range player USING player_guild_level (guild_id = 1, level >= 15)",
            ])
        #expect(
            try explain("SELECT name FROM player WHERE level = 30 AND guild_id = 2") == [
                "Project: name",
                "  Index Seek player USING player_guild_level (guild_id = 2, level = 30)",
            ])
        #expect(
            try explain("SELECT name FROM player WHERE guild_id = 2") == [
                "Project: name",
                "  Index Seek player USING player_guild_level (guild_id = 2)",
            ])
    }

    @Test func hashIndexOnlyForEquality() throws {
        #expect(
            try explain("SELECT name FROM guild WHERE region = 'eu'") == [
                "Project: name",
                "  Index Seek guild USING guild_region (region = 'eu')",
            ])
        #expect(
            try explain("SELECT name FROM guild WHERE region > 'eu'") == [
                "Project: name",
                "  Filter: region > 'eu'",
                "    Scan guild",
            ])
        let sender = "0x" + Fixture.idA.hexString
        #expect(
            try explain("SELECT name FROM player WHERE owner = :sender") == [
                "Project: name",
                "  Index Seek player USING player_owner (owner = \(sender))",
            ])
    }

    @Test func notEqualOrAndNonIndexedColumnsScan() throws {
        #expect(
            try explain("SELECT name FROM player WHERE level != 10") == [
                "Project: name", "  Filter: level != 10", "    Scan player",
            ])
        #expect(
            try explain("SELECT name FROM player WHERE level = 10 OR level = 20") == [
                "Project: name", "  Filter: (level = 10 OR level = 20)", "    Scan player",
            ])
        #expect(
            try explain("SELECT name FROM player WHERE nick IS NULL") == [
                "Project: name", "  Filter: nick IS NULL", "    Scan player",
            ])
    }

    @Test func joinUsesIndexOnInnerJoinColumn() throws {
        #expect(
            try explain("SELECT p.name, i.kind FROM player p JOIN item i ON i.owner_id = p.id") == [
                "Project: p.name, i.kind",
                "  Index Join",
                "    Scan player AS p",
                "    Index Seek item AS i USING item_owner (owner_id = p.id)",
            ])
        #expect(
            try explain("SELECT p.name FROM item i JOIN player p ON i.owner_id = p.id WHERE i.kind = 'bow'") == [
                "Project: p.name",
                "  Index Join",
                "    Filter: i.kind = 'bow'",
                "      Scan item AS i",
                "    Index Seek player AS p USING player_id_idx_btree (id = i.owner_id)",
            ])
    }

    @Test func joinWithoutUsableIndexIsAHashJoin() throws {
        #expect(
            try explain("SELECT p.name FROM player p JOIN player q ON q.score = p.score WHERE p.id < q.id") == [
                "Project: p.name",
                "  Filter: p.id < q.id",
                "    Hash Join: p.score = q.score",
                "      Scan player AS p",
                "      Scan player AS q",
            ])
        // Different key types (u16 vs u32) cannot seek the u32 index: hash join.
        #expect(
            try explain("SELECT i.item_id FROM item i JOIN guild g ON g.id = i.qty") == [
                "Project: i.item_id",
                "  Hash Join: i.qty = g.id",
                "    Scan item AS i",
                "    Scan guild AS g",
            ])
    }

    @Test func joinWithoutEqualityIsANestedLoop() throws {
        #expect(
            try explain("SELECT g.name FROM guild g JOIN guild h ON h.founded > g.founded WHERE g.id = 3") == [
                "Project: g.name",
                "  Filter: h.founded > g.founded",
                "    Nested Loop Join",
                "      Index Seek guild AS g USING guild_id_idx_btree (id = 3)",
                "      Scan guild AS h",
            ])
    }

    @Test func threeTableJoinPlansEachTable() throws {
        let plan = try explain(
            """
            SELECT p.name, i.kind, g.name FROM player p JOIN item i ON i.owner_id = p.id
            JOIN guild g ON g.id = p.guild_id WHERE g.region = 'eu' AND p.level >= 10 ORDER BY i.item_id LIMIT 5
            """)
        #expect(
            plan == [
                "Project: p.name, i.kind, g.name",
                "  Limit: 5",
                "    Sort: i.item_id",
                "      Index Join",
                "        Index Join",
                "          Index Range player AS p USING player_level (level >= 10)",
                "          Index Seek item AS i USING item_owner (owner_id = p.id)",
                "        Filter: g.region = 'eu'",
                "          Index Seek guild AS g USING guild_id_idx_btree (id = p.guild_id)",
            ])
    }

    @Test func multiColumnIndexKeyedByOuterColumnAndConstant() throws {
        #expect(
            try explain(
                "SELECT q.name FROM guild g JOIN player q ON q.guild_id = g.id AND q.level = 10 WHERE g.name = 'blue'")
                == [
                    "Project: q.name",
                    "  Index Join",
                    "    Filter: g.name = 'blue'",
                    "      Scan guild AS g",
                    "    Index Seek player AS q USING player_guild_level (guild_id = g.id, level = 10)",
                ])
    }

    @Test func sortLimitCountAndAliases() throws {
        #expect(
            try explain("SELECT name AS n FROM player WHERE level = 10 AND score > 5 ORDER BY score DESC, n LIMIT 3")
                == [
                    "Project: name AS n",
                    "  Limit: 3",
                    "    Sort: score DESC, n",
                    "      Filter: score > 5",
                    "        Index Seek player USING player_level (level = 10)",
                ])
        #expect(
            try explain("SELECT COUNT(*) AS n FROM item WHERE owner_id = 1") == [
                "Count AS n",
                "  Index Seek item USING item_owner (owner_id = 1)",
            ])
    }

    @Test func forcedScanIgnoresIndexes() throws {
        var context = Fixture.owner
        context.useIndexes = false
        #expect(
            try explain("SELECT p.name FROM player p JOIN item i ON i.owner_id = p.id WHERE p.id = 1", context: context)
                == [
                    "Project: p.name",
                    "  Hash Join: p.id = i.owner_id",
                    "    Filter: p.id = 1",
                    "      Scan player AS p",
                    "    Scan item AS i",
                ])
    }

    @Test func rowFilterHookIsAndedIntoEveryReference() throws {
        let db = try Fixture.make()
        var context = Fixture.client
        context.rowFilters = ["player": [try SQL.parseCondition("owner = :sender")]]
        let names = try run(db, "SELECT name FROM player ORDER BY name", context: context)[0].rows
        #expect(names == [[.string("bob")], [.string("eve")]])
        let joined = try run(
            db, "SELECT p.name, q.name FROM player p JOIN player q ON q.level = p.level WHERE p.id < q.id",
            context: context)
        #expect(joined[0].rows == [[.string("bob"), .string("eve")]])
        let plan = try run(db, "EXPLAIN SELECT name FROM player", context: context)[0].rows
        #expect(plan.last == [.string("  Index Seek player USING player_owner (owner = 0x\(Fixture.idB.hexString))")])
    }
}
