import StarlingStore
import StarlingTypes
import Testing

@testable import StarlingQuery

/// ``QueryCache`` against the plain engine: every read-only conformance query, and variants of it
/// with other literals, gives through one shared cache exactly what a fresh parse and plan gives
/// (rows, columns or the error text).
struct QueryCacheTests {
    /// What a query yields, as text comparable across the two paths.
    static func outcome(_ body: () throws(SQLError) -> [QueryResult]) -> String {
        do {
            return try body().map { r in
                "\(r.columns.map { "\($0.name) \($0.type)" }) \(r.json["rows"]?.text ?? "-")"
            }.joined(separator: "\n")
        } catch {
            return "error: \(error)"
        }
    }

    static func cached(_ cache: QueryCache, _ db: Datastore, _ sql: String, _ context: QueryContext) -> String {
        outcome { () throws(SQLError) in
            try db.read { tx throws(SQLError) in
                switch try cache.run(sql, in: tx, context: context) {
                case .read(let results): return results
                case .write: throw SQLError(.permission, "writes")
                }
            }
        }
    }

    static func direct(_ db: Datastore, _ sql: String, _ context: QueryContext) -> String {
        outcome { () throws(SQLError) in
            try db.read { tx throws(SQLError) in
                let statements = try SQL.parse(sql)
                if statements.contains(where: \.isDML) { throw SQLError(.permission, "writes") }
                return try QueryEngine.query(statements, in: tx, context: context)
            }
        }
    }

    /// Replacement texts for a literal token: other values of the same kind, some of which do not
    /// fit the column the original went to.
    static func replacements(_ token: Token) -> [String] {
        switch token.kind {
        case .integer: ["0", "1", "2", "3", "5", "10", "20", "300", "70000", "99999999999999999999999999999999999999999"]
        case .float: ["0.5", "3.5", "4.9", "1e300", "2.25"]
        case .string: ["'ann'", "'bob'", "'eu'", "'sword'", "''", "'it''s'"]
        case .hex(_, true): ["0x0", "0x0a", "0xff", "0x0b"]
        case .hex(_, false): ["X'01'", "X'ff00'", "X''"]
        default: []
        }
    }

    /// The text with the literal token `token` replaced by `text`.
    static func replacing(_ sql: String, _ token: Token, with text: String) -> String {
        var bytes = Array(sql.utf8)
        bytes.replaceSubrange(token.position.offset..<(token.position.offset + token.text.utf8.count), with: Array(text.utf8))
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func cachedResultsEqualFreshPlansForEveryConformanceQueryAndItsVariants() throws {
        let db = try Fixture.make()
        let cache = QueryCache()
        var checked = 0
        for c in ConformanceTests.cases {
            var context = c.asClient ? Fixture.client : Fixture.owner
            context.useIndexes = c.useIndexes
            guard let tokens = try? Lexer.tokenize(c.sql) else { continue }
            var texts = [c.sql]
            for t in tokens { texts += Self.replacements(t).map { Self.replacing(c.sql, t, with: $0) } }
            // Twice over: the first pass fills the cache (and meets shapes cached by earlier
            // cases), the second is answered from it.
            for _ in 0..<2 {
                for text in texts {
                    let want = Self.direct(db, text, context)
                    if want.hasSuffix("writes") { continue }
                    #expect(Self.cached(cache, db, text, context) == want, "\(c.testDescription)\n\(text)")
                    checked += 1
                }
            }
        }
        #expect(checked > 1000)
        #expect(cache.hits > checked / 3)
    }

    @Test func pointQueriesReuseOnePlan() throws {
        let db = try Fixture.make()
        let cache = QueryCache()
        for id in 1...6 {
            let got = Self.cached(cache, db, "SELECT name FROM player WHERE id = \(id)", Fixture.owner)
            #expect(got == Self.direct(db, "SELECT name FROM player WHERE id = \(id)", Fixture.owner))
        }
        #expect(cache.misses == 1 && cache.hits == 5)
        // Negative numbers, LIMIT counts and a literal that does not fit its column.
        #expect(Self.cached(cache, db, "SELECT name FROM player WHERE id = -1", Fixture.owner).contains("error"))
        for n in [1, 3] {
            let sql = "SELECT id FROM player ORDER BY id LIMIT \(n)"
            #expect(Self.cached(cache, db, sql, Fixture.owner) == Self.direct(db, sql, Fixture.owner))
        }
        let bad = "SELECT name FROM player WHERE level = 300"
        _ = Self.cached(cache, db, "SELECT name FROM player WHERE level = 10", Fixture.owner)
        #expect(Self.cached(cache, db, bad, Fixture.owner) == Self.direct(db, bad, Fixture.owner))
        #expect(Self.direct(db, bad, Fixture.owner).contains("300"))
    }

    @Test func senderAndRowFiltersAreNotSharedBetweenCallers() throws {
        let db = try Fixture.make()
        let cache = QueryCache()
        let sql = "SELECT name FROM player WHERE owner = :sender ORDER BY id"
        for id in [Fixture.idA, Fixture.idB, Fixture.idC] {
            let context = QueryContext.owner(id)
            #expect(Self.cached(cache, db, sql, context) == Self.direct(db, sql, context))
        }
        var filtered = Fixture.client
        filtered.rowFilters = ["player": [try SQL.parseCondition("owner = :sender")]]
        var other = filtered
        other.caller = Fixture.idD
        for context in [filtered, other, filtered] {
            let q = "SELECT name FROM player WHERE level > 1 ORDER BY id"
            #expect(Self.cached(cache, db, q, context) == Self.direct(db, q, context))
        }
    }

    @Test func writesAreHandedBackUnrun() throws {
        let db = try Fixture.make()
        let cache = QueryCache()
        let outcome = try db.read { tx throws(SQLError) in
            try cache.run("DELETE FROM player WHERE id = 1", in: tx, context: Fixture.owner)
        }
        guard case .write(let statements) = outcome else {
            Issue.record("expected the statements back")
            return
        }
        #expect(statements.count == 1 && statements[0].isDML)
        #expect(Self.cached(cache, db, "SELECT COUNT(*) FROM player", Fixture.owner).contains("6"))
    }
}
