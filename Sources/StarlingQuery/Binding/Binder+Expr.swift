import StarlingTypes

extension Binder {
    /// Binds a condition: resolves columns, types literals, checks that comparisons make sense.
    func bind(_ e: Expr) throws(SQLError) -> BoundExpr {
        switch e {
        case .and(let a, let b): return .and(try bind(a).conjuncts + bind(b).conjuncts)
        case .or(let a, let b):
            var xs: [BoundExpr] = []
            for x in [try bind(a), try bind(b)] {
                if case .or(let ys) = x { xs += ys } else { xs.append(x) }
            }
            return .or(xs)
        case .not(let x, _): return .not(try bind(x))
        case .comparison(let l, let op, let r, let at): return try comparison(l, op, r, at)
        case .isNull(let o, let negated, _):
            let b = try operand(o)
            if case .column(let c) = b, !c.type.isOption {
                throw SQLError(
                    .typeMismatch,
                    "column `\(c.display)` (\(c.type)) is not an option, so IS \(negated ? "NOT " : "")NULL is constant",
                    at: o.position)
            }
            return .isNull(b, negated: negated)
        case .operand(let o):
            let b = try operand(o)
            switch ValueOrder.base(b.type) {
            case .bool: return .truth(b)
            default:
                throw SQLError(
                    .typeMismatch,
                    "\(b.columnSlot.map { "column `\($0.display)`" } ?? "\(o)") (\(b.type)) is not a condition; compare it with a value",
                    at: o.position)
            }
        }
    }

    /// An operand with no type context (a literal gets its natural type).
    private func operand(_ o: Operand) throws(SQLError) -> BoundOperand {
        switch o {
        case .column(let ref): return .column(try column(ref))
        case .literal(let lit):
            if case .null = lit.kind { return .value(.option(nil), .option(.bool), .none) }
            do throws(CoercionFailure) {
                let (v, t) = try lit.defaultValue(sender: context.caller)
                return .value(v, t, origin(lit, t, natural: true))
            } catch {
                throw SQLError(error.code, error.reason, at: lit.position)
            }
        }
    }

    private func comparison(_ l: Operand, _ op: ComparisonOperator, _ r: Operand, _ at: SourcePosition) throws(SQLError)
        -> BoundExpr
    {
        for case .literal(let lit) in [l, r] {
            if case .null = lit.kind {
                throw SQLError(
                    .typeMismatch, "a comparison with NULL is never true; use `IS NULL` or `IS NOT NULL`",
                    at: lit.position)
            }
        }
        let left: BoundOperand
        let right: BoundOperand
        switch (l, r) {
        case (.column, .literal(let lit)):
            left = try operand(l)
            right = .value(try literal(lit, for: left), left.type, origin(lit, left.type, natural: false))
        case (.literal(let lit), .column):
            right = try operand(r)
            left = .value(try literal(lit, for: right), right.type, origin(lit, right.type, natural: false))
        default:
            left = try operand(l)
            right = try operand(r)
            guard ValueOrder.comparable(left.type, right.type) else {
                throw SQLError(
                    .typeMismatch,
                    "cannot compare \(describe(left)) (\(left.type)) with \(describe(right)) (\(right.type))", at: at)
            }
        }
        if op != .equal && op != .notEqual && !ValueOrder.isOrdered(left.type) {
            throw SQLError(
                .typeMismatch, "values of type \(left.type) have no order; only = and != apply to \(describe(left))",
                at: at)
        }
        return .compare(left, op, right)
    }

    private func literal(_ lit: Literal, for column: BoundOperand) throws(SQLError) -> AlgebraicValue {
        try value(lit, as: column.type) { "cannot compare \(describe(column)) (\(column.type)) with \($0)" }
    }

    /// Where a literal's value comes from, when ``tagsLiterals`` and it is a number, string or hex
    /// literal (the literals ``QueryCache`` treats as parameters).
    private func origin(_ lit: Literal, _ type: AlgebraicType, natural: Bool) -> LiteralOrigin {
        guard tagsLiterals else { return .none }
        switch lit.kind {
        case .integer, .float, .string, .hex:
            return LiteralOrigin(offset: lit.position.offset, type: type, natural: natural)
        case .bool, .null, .parameter: return .none
        }
    }

    private func describe(_ o: BoundOperand) -> String {
        switch o {
        case .column(let c): "column `\(c.display)`"
        case .value(let v, _, _): v.sqlLiteral
        }
    }
}

extension AlgebraicType {
    var isOption: Bool {
        if case .option = self { return true }
        return false
    }
}
