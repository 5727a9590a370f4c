import StarlingQuery
import StarlingStore
import StarlingTypes
import Testing

/// One conformance case: SQL text, how to run it, and what the last statement must yield.
struct ConformanceCase: Sendable, CustomTestStringConvertible {
    enum Expectation: Sendable {
        /// The rows as JSON, in order.
        case rows(String)
        /// The rows as JSON, in any order.
        case rowSet(String)
        /// The result's columns: `name type, name type`.
        case schema(String)
        case affected(Int)
        /// The error's description contains this text.
        case errorContains(String)
        /// The error's description is exactly this text.
        case errorIs(String)
    }

    var sql: String
    /// Which case list and line the case starts at (for failure messages).
    var source: String
    var line: Int
    var asClient = false
    var useIndexes = true
    var readOnly = false
    var expectations: [Expectation] = []

    var testDescription: String { "\(source):\(line): \(sql.split(separator: "\n").first.map(String.init) ?? "")" }

    /// Parses the case list: cases separated by blank lines; `#` comments; `@client`, `@noindex`,
    /// `@readonly` directives; `=>` rows, `~>` rows in any order, `::` schema, `=> affected N`,
    /// `!!` error substring, `!!=` exact error. `$A`..`$D` stand for the fixture identities.
    static func parse(_ text: String, source: String) -> [ConformanceCase] {
        var cases: [ConformanceCase] = []
        var current: ConformanceCase?
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.trimmingSpaces.isEmpty {
                if let c = current { cases.append(c) }
                current = nil
                continue
            }
            if line.hasPrefix("#") { continue }
            var c = current ?? ConformanceCase(sql: "", source: source, line: n + 1)
            if line == "@client" {
                c.asClient = true
            } else if line == "@noindex" {
                c.useIndexes = false
            } else if line == "@readonly" {
                c.readOnly = true
            } else if line.hasPrefix("=> affected ") {
                c.expectations.append(.affected(Int(line.dropFirst(12))!))
            } else if line.hasPrefix("=>") {
                c.expectations.append(.rows(substitute(String(line.dropFirst(2)))))
            } else if line.hasPrefix("~>") {
                c.expectations.append(.rowSet(substitute(String(line.dropFirst(2)))))
            } else if line.hasPrefix("::") {
                c.expectations.append(.schema(String(line.dropFirst(2)).trimmingSpaces))
            } else if line.hasPrefix("!!=") {
                c.expectations.append(.errorIs(String(line.dropFirst(3)).trimmingSpaces))
            } else if line.hasPrefix("!!") {
                c.expectations.append(.errorContains(String(line.dropFirst(2)).trimmingSpaces))
            } else {
                c.sql += (c.sql.isEmpty ? "" : "\n") + line
            }
            current = c
        }
        if let c = current { cases.append(c) }
        return cases
    }

    static func substitute(_ s: String) -> String {
        var s = s
        for (k, id) in [("$A", Fixture.idA), ("$B", Fixture.idB), ("$C", Fixture.idC), ("$D", Fixture.idD)] {
            s = s.split(separator: k, omittingEmptySubsequences: false).joined(separator: "\"\(id.hexString)\"")
        }
        return s
    }

    /// Runs the case on a fresh fixture and records every unmet expectation.
    func check(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let db = try Fixture.make()
        var context = asClient ? Fixture.client : Fixture.owner
        context.useIndexes = useIndexes
        let outcome: Result<[QueryResult], SQLError>
        if readOnly {
            outcome = Result { () throws(SQLError) in
                try db.read { tx throws(SQLError) in try QueryEngine.query(sql, in: tx, context: context) }
            }
        } else {
            outcome = Result { () throws(SQLError) in try run(db, sql, context: context) }
        }
        let where_ = "case \(source):\(line):\n\(sql)"
        for e in expectations {
            switch (e, outcome) {
            case (.errorContains(let part), .failure(let error)):
                #expect(error.description.contains(part), "\(where_)\nerror `\(error)` lacks `\(part)`")
            case (.errorIs(let text), .failure(let error)):
                #expect(error.description == text, "\(where_)\nerror `\(error)` is not `\(text)`")
            case (.errorContains, .success), (.errorIs, .success):
                Issue.record("\(where_)\nexpected an error, got a result")
            case (_, .failure(let error)):
                Issue.record("\(where_)\nunexpected error: \(error)")
            case (.rows(let json), .success(let results)):
                let got = results.last?.json["rows"]
                #expect(got == (try? JSONValue.parse(json)), "\(where_)\nrows \(got?.text ?? "nil") != \(json)")
            case (.rowSet(let json), .success(let results)):
                let got = (results.last?.json["rows"]?.arrayValue ?? []).map(\.text).sorted()
                let want = ((try? JSONValue.parse(json))?.arrayValue ?? []).map(\.text).sorted()
                #expect(got == want, "\(where_)\nrows \(got) != \(want) (any order)")
            case (.schema(let text), .success(let results)):
                let got = (results.last?.columns ?? []).map { "\($0.name) \($0.type)" }.joined(separator: ", ")
                #expect(got == text, "\(where_)\nschema `\(got)` != `\(text)`")
            case (.affected(let n), .success(let results)):
                #expect(
                    results.last?.affectedRows == n,
                    "\(where_)\naffected \(String(describing: results.last?.affectedRows)) != \(n)")
            }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

struct ConformanceTests {
    static let cases =
        ConformanceCase.parse(queryCases, source: "queries") + ConformanceCase.parse(errorAndDMLCases, source: "errors")

    @Test func thereAreEnoughCases() {
        #expect(Self.cases.count >= 150)
        #expect(Self.cases.allSatisfy { !$0.expectations.isEmpty && !$0.sql.isEmpty })
    }

    @Test(arguments: cases) func conformance(_ c: ConformanceCase) throws {
        try c.check()
    }
}
