/// A recursive-descent parser over the tokens of one SQL text.
struct Parser {
    private var tokens: [Token]
    private var index = 0

    init(_ text: String) throws(SQLError) { tokens = try Lexer.tokenize(text) }

    /// A parser over tokens from ``Lexer/tokenize(_:)`` (ending with `.end`).
    init(tokens: [Token]) { self.tokens = tokens }

    var current: Token { tokens[index] }

    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    func failure(_ expected: String, at token: Token? = nil) -> SQLError {
        let t = token ?? current
        return SQLError(.syntax, "expected \(expected), found \(t.shown)", at: t.position)
    }

    /// Consumes the keyword if it is next.
    mutating func accept(_ keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        advance()
        return true
    }

    mutating func expect(_ keyword: String) throws(SQLError) {
        guard accept(keyword) else { throw failure(keyword) }
    }

    mutating func acceptSymbol(_ s: String) -> Bool {
        guard current.isSymbol(s) else { return false }
        advance()
        return true
    }

    mutating func expectSymbol(_ s: String) throws(SQLError) {
        guard acceptSymbol(s) else { throw failure("\"\(s)\"") }
    }

    /// An identifier: a bare word that is not reserved, or a quoted identifier.
    mutating func identifier(_ what: String) throws(SQLError) -> Name {
        let t = current
        switch t.kind {
        case .word(let w) where !reservedWords.contains(w.uppercased()):
            advance()
            return Name(w, at: t.position)
        case .quotedIdentifier(let q):
            advance()
            return Name(q, at: t.position)
        case .word(let w):
            throw SQLError(
                .syntax, "expected \(what), found keyword \(w.uppercased()) (write \"\(w)\" to use it as a name)",
                at: t.position)
        default:
            throw failure(what)
        }
    }

    var atIdentifier: Bool {
        switch current.kind {
        case .word(let w): !reservedWords.contains(w.uppercased())
        case .quotedIdentifier: true
        default: false
        }
    }

    // MARK: statements

    /// Every statement of the text; empty statements (`;;`) are skipped.
    mutating func statements() throws(SQLError) -> [Statement] {
        var out: [Statement] = []
        while current.kind != .end {
            if acceptSymbol(";") { continue }
            out.append(try statement())
            guard current.kind == .end || current.isSymbol(";") else {
                throw failure("\";\" or end of input")
            }
        }
        return out
    }

    mutating func statement() throws(SQLError) -> Statement {
        if accept("SELECT") { return .select(try select()) }
        if accept("EXPLAIN") {
            guard accept("SELECT") else { throw failure("SELECT after EXPLAIN") }
            return .explain(try select())
        }
        if accept("INSERT") { return .insert(try insert()) }
        if accept("UPDATE") { return .update(try update()) }
        if accept("DELETE") { return .delete(try delete()) }
        throw failure("SELECT, INSERT, UPDATE, DELETE or EXPLAIN")
    }

    /// The rest of a SELECT after the keyword.
    mutating func select() throws(SQLError) -> Select {
        let projection = try self.projection()
        try expect("FROM")
        let from = try tableRef()
        var joins: [Join] = []
        while current.isKeyword("JOIN") || current.isKeyword("INNER") {
            if accept("INNER") { try expect("JOIN") } else { advance() }
            let table = try tableRef()
            try expect("ON")
            joins.append(Join(table: table, condition: try expression()))
        }
        var filter: Expr?
        if accept("WHERE") { filter = try expression() }
        var orderBy: [OrderItem] = []
        if accept("ORDER") {
            try expect("BY")
            repeat {
                let column = try columnRef()
                let descending = accept("DESC")
                if !descending { _ = accept("ASC") }
                orderBy.append(OrderItem(column: column, descending: descending))
            } while acceptSymbol(",")
        }
        var limit: Limit?
        if accept("LIMIT") {
            let t = current
            guard case .integer(let digits) = t.kind else { throw failure("a non-negative integer after LIMIT") }
            guard let n = UInt64(digits) else {
                throw SQLError(.syntax, "LIMIT \(digits) is too large", at: t.position)
            }
            advance()
            limit = Limit(count: n, position: t.position)
        }
        return Select(projection: projection, from: from, joins: joins, filter: filter, orderBy: orderBy, limit: limit)
    }

    mutating func projection() throws(SQLError) -> Projection {
        if acceptSymbol("*") { return .all }
        if case .word(let w) = current.kind, w.uppercased() == "COUNT", tokens[index + 1].isSymbol("(") {
            let at = current.position
            advance()
            advance()
            guard acceptSymbol("*") else { throw failure("\"*\" in COUNT(*) (only COUNT(*) is supported)") }
            try expectSymbol(")")
            let alias = accept("AS") ? try identifier("an alias after AS") : nil
            return .count(alias: alias, at: at)
        }
        var items: [SelectItem] = []
        repeat {
            if case .word(let w) = current.kind, w.uppercased() == "COUNT", tokens[index + 1].isSymbol("(") {
                throw SQLError(
                    .syntax, "COUNT(*) cannot be combined with other columns (there is no GROUP BY)",
                    at: current.position)
            }
            if atIdentifier, tokens[index + 1].isSymbol("."), tokens[index + 2].isSymbol("*") {
                let table = try identifier("a table name")
                advance()
                advance()
                items.append(.allColumns(of: table))
            } else {
                let column = try columnRef()
                let alias = accept("AS") ? try identifier("an alias after AS") : nil
                items.append(.column(column, alias: alias))
            }
        } while acceptSymbol(",")
        return .items(items)
    }

    mutating func tableRef() throws(SQLError) -> TableRef {
        let name = try identifier("a table name")
        if accept("AS") { return TableRef(name: name, alias: try identifier("an alias after AS")) }
        if atIdentifier { return TableRef(name: name, alias: try identifier("an alias")) }
        return TableRef(name: name, alias: nil)
    }

    mutating func columnRef() throws(SQLError) -> ColumnRef {
        let first = try identifier("a column name")
        if acceptSymbol(".") { return ColumnRef(table: first, column: try identifier("a column name after \".\"")) }
        return ColumnRef(table: nil, column: first)
    }

    // MARK: DML

    mutating func insert() throws(SQLError) -> Insert {
        try expect("INTO")
        let table = try identifier("a table name")
        var columns: [Name]?
        if acceptSymbol("(") {
            var names: [Name] = []
            repeat { names.append(try identifier("a column name")) } while acceptSymbol(",")
            try expectSymbol(")")
            columns = names
        }
        guard accept("VALUES") else { throw failure(columns == nil ? "\"(\" or VALUES" : "VALUES") }
        var rows: [[Literal]] = []
        var positions: [SourcePosition] = []
        repeat {
            positions.append(current.position)
            try expectSymbol("(")
            var row: [Literal] = []
            repeat { row.append(try literal()) } while acceptSymbol(",")
            try expectSymbol(")")
            rows.append(row)
        } while acceptSymbol(",")
        return Insert(table: table, columns: columns, rows: rows, rowPositions: positions)
    }

    mutating func update() throws(SQLError) -> Update {
        let table = try identifier("a table name")
        try expect("SET")
        var assignments: [Assignment] = []
        repeat {
            let column = try identifier("a column name")
            try expectSymbol("=")
            assignments.append(Assignment(column: column, value: try literal()))
        } while acceptSymbol(",")
        let filter = accept("WHERE") ? try expression() : nil
        return Update(table: table, assignments: assignments, filter: filter)
    }

    mutating func delete() throws(SQLError) -> Delete {
        try expect("FROM")
        let table = try identifier("a table name")
        let filter = accept("WHERE") ? try expression() : nil
        return Delete(table: table, filter: filter)
    }
}
