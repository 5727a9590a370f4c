extension Parser {
    /// `or_expr := and_expr (OR and_expr)*`.
    mutating func expression() throws(SQLError) -> Expr {
        var e = try conjunction()
        while accept("OR") { e = .or(e, try conjunction()) }
        return e
    }

    private mutating func conjunction() throws(SQLError) -> Expr {
        var e = try negation()
        while accept("AND") { e = .and(e, try negation()) }
        return e
    }

    private mutating func negation() throws(SQLError) -> Expr {
        let at = current.position
        if accept("NOT") { return .not(try negation(), at: at) }
        return try predicate()
    }

    /// `( expr )`, `operand op operand`, `operand IS [NOT] NULL` or a bare operand.
    private mutating func predicate() throws(SQLError) -> Expr {
        if acceptSymbol("(") {
            let e = try expression()
            try expectSymbol(")")
            return e
        }
        let left = try operand()
        let opToken = current
        if accept("IS") {
            let negated = accept("NOT")
            guard accept("NULL") else { throw failure(negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS") }
            return .isNull(left, negated: negated, at: opToken.position)
        }
        guard case .symbol(let s) = opToken.kind, let op = Self.comparison(s) else { return .operand(left) }
        advance()
        return .comparison(left, op, try operand(), at: opToken.position)
    }

    private static func comparison(_ s: String) -> ComparisonOperator? {
        switch s {
        case "=": .equal
        case "!=", "<>": .notEqual
        case "<": .less
        case "<=": .lessOrEqual
        case ">": .greater
        case ">=": .greaterOrEqual
        default: nil
        }
    }

    mutating func operand() throws(SQLError) -> Operand {
        if atIdentifier { return .column(try columnRef()) }
        switch current.kind {
        case .word, .integer, .float, .string, .hex, .parameter, .symbol("-"):
            return .literal(try literal(expected: "a column or a value"))
        default:
            throw failure("a column or a value")
        }
    }

    /// A literal: number (optionally negative), string, hex, TRUE/FALSE, NULL or `:parameter`.
    mutating func literal(expected: String = "a value") throws(SQLError) -> Literal {
        let t = current
        if acceptSymbol("-") {
            let n = current
            switch n.kind {
            case .integer(let d):
                advance()
                return Literal(kind: .integer("-" + d), position: t.position)
            case .float(let d):
                advance()
                return Literal(kind: .float("-" + d), position: t.position)
            default:
                throw failure("a number after \"-\"")
            }
        }
        let kind: Literal.Kind
        switch t.kind {
        case .integer(let d): kind = .integer(d)
        case .float(let d): kind = .float(d)
        case .string(let s): kind = .string(s)
        case .hex(let d, let isNumber): kind = .hex(d, isNumber: isNumber)
        case .parameter(let p): kind = .parameter(p)
        case .word(let w) where w.uppercased() == "TRUE": kind = .bool(true)
        case .word(let w) where w.uppercased() == "FALSE": kind = .bool(false)
        case .word(let w) where w.uppercased() == "NULL": kind = .null
        default: throw failure(expected)
        }
        advance()
        return Literal(kind: kind, position: t.position)
    }
}
