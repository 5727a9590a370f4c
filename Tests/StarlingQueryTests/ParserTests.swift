import StarlingQuery
import StarlingStore
import StarlingTypes
import Testing

struct ParserTests {
    @Test func statementsAreSplitOnSemicolons() throws {
        #expect(try SQL.parse("").isEmpty)
        #expect(try SQL.parse(" ;; -- nothing\n ;").isEmpty)
        let s = try SQL.parse(
            "SELECT * FROM a; DELETE FROM b;\nUPDATE c SET x = 1; INSERT INTO d VALUES (1); EXPLAIN SELECT * FROM e")
        #expect(s.map(\.verb) == ["SELECT", "DELETE", "UPDATE", "INSERT", "EXPLAIN"])
        #expect(s.map(\.isDML) == [false, true, true, true, false])
    }

    @Test func selectShape() throws {
        let s = try SQL.parse(
            "SELECT p.name AS n, level FROM player AS p JOIN item i ON i.owner = p.id WHERE level >= -3 ORDER BY n DESC, level LIMIT 7"
        )
        guard case .select(let select) = s[0] else {
            Issue.record("not a select")
            return
        }
        guard case .items(let items) = select.projection else {
            Issue.record("not an item list")
            return
        }
        #expect(items.count == 2)
        #expect(select.from.name.text == "player" && select.from.alias?.text == "p")
        #expect(select.joins.count == 1 && select.joins[0].table.referenceName.text == "i")
        #expect(select.orderBy.map(\.descending) == [true, false])
        #expect(select.limit?.count == 7)
        #expect(select.limit?.position == SourcePosition(offset: 120, line: 1, column: 121))
        guard case .comparison(_, .greaterOrEqual, .literal(let lit), _) = select.filter else {
            Issue.record("unexpected filter \(String(describing: select.filter))")
            return
        }
        #expect(lit.kind == .integer("-3"))
    }

    @Test func literalsKeepTheirKindAndText() throws {
        let c = try SQL.parseCondition(
            "a = 'it''s' OR b = 0xFF OR c = X'0a0B' OR d = 1.5e3 OR e = :sender OR f = TRUE OR g = NULL")
        var literals: [SQL.Literal] = []
        func collect(_ e: SQL.Expr) {
            switch e {
            case .or(let x, let y), .and(let x, let y):
                collect(x)
                collect(y)
            case .comparison(_, _, .literal(let l), _): literals.append(l)
            default: break
            }
        }
        collect(c)
        #expect(
            literals.map(\.kind) == [
                .string("it's"), .hex("FF", isNumber: true), .hex("0a0B", isNumber: false), .float("1.5e3"),
                .parameter("sender"),
                .bool(true), .null,
            ])
        #expect(literals.map(\.description) == ["'it''s'", "0xFF", "X'0a0B'", "1.5e3", ":sender", "TRUE", "NULL"])
    }

    @Test func positionsCountLinesAndCharacters() throws {
        do {
            _ = try SQL.parse("SELECT *\n  FROM t\n WHERE é = 'ü' ?")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.position == SourcePosition(offset: 35, line: 3, column: 16))
            #expect(error.description == "syntax error at 3:16: unexpected character \"?\"")
        }
    }

    @Test func precedenceNotOverAndOverOr() throws {
        let e = try SQL.parseCondition("NOT a = 1 AND b = 2 OR c = 3")
        guard case .or(.and(.not, .comparison), .comparison) = e else {
            Issue.record("wrong tree: \(e)")
            return
        }
    }

    @Test func keywordsAsNamesNeedQuotes() throws {
        #expect(throws: SQLError.self) { try SQL.parse("SELECT order FROM t") }
        let s = try SQL.parse("SELECT \"order\", \"a\"\"b\" FROM \"from\"")
        guard case .select(let select) = s[0], case .items(let items) = select.projection else {
            Issue.record("not a select")
            return
        }
        #expect(select.from.name.text == "from")
        #expect(
            items == [
                .column(SQL.ColumnRef(table: nil, column: SQL.Name("order", at: items.columnPosition(0))), alias: nil),
                .column(SQL.ColumnRef(table: nil, column: SQL.Name("a\"b", at: items.columnPosition(1))), alias: nil),
            ])
    }

    @Test func errorCodesMatchInCatch() throws {
        let db = try Fixture.make()
        let cases: [(String, SQLError.Code, QueryContext)] = [
            ("SELECT * FORM x", .syntax, Fixture.owner),
            ("SELECT * FROM nope", .unknownTable, Fixture.owner),
            ("SELECT nope FROM player", .unknownColumn, Fixture.owner),
            ("SELECT * FROM player WHERE level = 'x'", .typeMismatch, Fixture.owner),
            ("SELECT id FROM player JOIN guild ON guild.id = player.guild_id", .ambiguous, Fixture.owner),
            ("DELETE FROM player", .permission, Fixture.client),
            ("INSERT INTO guild VALUES (1, 'a', 'b', 0)", .constraint, Fixture.owner),
            ("INSERT INTO guild (id) VALUES (9)", .invalid, Fixture.owner),
            ("SELECT * FROM player WHERE id = :me", .unknownParameter, Fixture.owner),
        ]
        for (sql, code, context) in cases {
            do {
                _ = try run(db, sql, context: context)
                Issue.record("\(sql) did not fail")
            } catch code {
                // matched by `~=`
            } catch {
                Issue.record("\(sql): expected \(code), got \(error.code): \(error)")
            }
        }
    }
}

extension [SQL.SelectItem] {
    /// The position of item `i` when it is a column (test helper).
    func columnPosition(_ i: Int) -> SourcePosition {
        if case .column(let c, _) = self[i] { return c.column.position }
        return SourcePosition(offset: 0, line: 0, column: 0)
    }
}
