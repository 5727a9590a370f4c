import StarlingTypes

/// Which literal of the query text a constant in a bound expression or plan was written as
/// (``QueryCache`` substitutes new values for them). Not part of equality: two constants are equal
/// when their values are, wherever they were written.
struct LiteralOrigin: Hashable, Sendable {
    /// The literal's byte offset in the query text; nil for constants the text did not write as a
    /// number, string or hex literal (`:sender`, TRUE, NULL, row-level security filters).
    var offset: Int?
    /// The type the literal was given.
    var type: AlgebraicType? = nil
    /// Whether that is the literal's own type (compared with another literal) rather than a column's.
    var natural = false

    static let none = LiteralOrigin(offset: nil)

    static func == (a: LiteralOrigin, b: LiteralOrigin) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}

/// A comparison side after name resolution: a column slot or a typed value.
enum BoundOperand: Hashable, Sendable {
    case column(ColumnSlot)
    case value(AlgebraicValue, AlgebraicType, LiteralOrigin)

    var type: AlgebraicType {
        switch self {
        case .column(let c): c.type
        case .value(_, let t, _): t
        }
    }

    var columnSlot: ColumnSlot? {
        if case .column(let c) = self { return c }
        return nil
    }

    @inline(__always) func value(in row: [AlgebraicValue], base: Int) -> AlgebraicValue {
        switch self {
        case .column(let c): row[c.slot - base]
        case .value(let v, _, _): v
        }
    }

    var sql: String {
        switch self {
        case .column(let c): c.display
        case .value(let v, _, _): v.sqlLiteral
        }
    }
}

/// A condition after name resolution and literal typing, evaluated with SQL's three-valued logic
/// (`nil` is unknown; WHERE keeps a row only when the result is `true`).
indirect enum BoundExpr: Hashable, Sendable {
    case compare(BoundOperand, ComparisonOperator, BoundOperand)
    case isNull(BoundOperand, negated: Bool)
    case and([BoundExpr])
    case or([BoundExpr])
    case not(BoundExpr)
    /// A bool column or literal used as a condition.
    case truth(BoundOperand)

    /// Evaluates on a row whose slot `base` holds the first value of `row`.
    func evaluate(_ row: [AlgebraicValue], base: Int) -> Bool? {
        switch self {
        case .compare(let l, let op, let r):
            guard let c = ValueOrder.compare(l.value(in: row, base: base), r.value(in: row, base: base)) else {
                return nil
            }
            switch op {
            case .equal: return c == 0
            case .notEqual: return c != 0
            case .less: return c < 0
            case .lessOrEqual: return c <= 0
            case .greater: return c > 0
            case .greaterOrEqual: return c >= 0
            }
        case .isNull(let o, let negated):
            if case .option(nil) = o.value(in: row, base: base) { return !negated }
            return negated
        case .and(let xs):
            var unknown = false
            for x in xs {
                switch x.evaluate(row, base: base) {
                case false?: return false
                case nil: unknown = true
                case true?: break
                }
            }
            return unknown ? nil : true
        case .or(let xs):
            var unknown = false
            for x in xs {
                switch x.evaluate(row, base: base) {
                case true?: return true
                case nil: unknown = true
                case false?: break
                }
            }
            return unknown ? nil : false
        case .not(let x):
            return x.evaluate(row, base: base).map { !$0 }
        case .truth(let o):
            switch o.value(in: row, base: base) {
            case .bool(let b), .option(.bool(let b)?): return b
            default: return nil
            }
        }
    }

    /// The query tables (by position) this condition reads.
    var tables: Set<Int> {
        switch self {
        case .compare(let l, _, let r): Set([l.columnSlot?.table, r.columnSlot?.table].compactMap { $0 })
        case .isNull(let o, _), .truth(let o): Set([o.columnSlot?.table].compactMap { $0 })
        case .and(let xs), .or(let xs): xs.reduce(into: Set<Int>()) { $0.formUnion($1.tables) }
        case .not(let x): x.tables
        }
    }

    /// The operands of an AND, flattened (a single condition otherwise).
    var conjuncts: [BoundExpr] {
        if case .and(let xs) = self { return xs.flatMap(\.conjuncts) }
        return [self]
    }

    /// The condition as SQL text, for EXPLAIN.
    var sql: String {
        switch self {
        case .compare(let l, let op, let r): "\(l.sql) \(op.rawValue) \(r.sql)"
        case .isNull(let o, let negated): "\(o.sql) IS \(negated ? "NOT " : "")NULL"
        case .and(let xs): xs.map { if case .or = $0 { "(\($0.sql))" } else { $0.sql } }.joined(separator: " AND ")
        case .or(let xs): xs.map { if case .and = $0 { "(\($0.sql))" } else { $0.sql } }.joined(separator: " OR ")
        case .not(let x):
            switch x {
            case .and, .or, .compare, .isNull: "NOT (\(x.sql))"
            default: "NOT \(x.sql)"
            }
        case .truth(let o): o.sql
        }
    }
}

extension AlgebraicValue {
    /// The value written as a SQL literal (for EXPLAIN): `5`, `'ann'`, `0x…`, `X'…'`, `TRUE`, `NULL`.
    var sqlLiteral: String {
        switch self {
        case .bool(let b): b ? "TRUE" : "FALSE"
        case .i8(let x): String(x)
        case .u8(let x): String(x)
        case .i16(let x): String(x)
        case .u16(let x): String(x)
        case .i32(let x): String(x)
        case .u32(let x): String(x)
        case .i64(let x): String(x)
        case .u64(let x): String(x)
        case .i128(let x): String(x)
        case .u128(let x): String(x)
        case .f32(let x): x.description
        case .f64(let x): x.description
        case .string(let s):
            "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
        case .bytes(let b): "X'" + b.map { hex2($0) }.joined() + "'"
        case .identity(let id): "0x" + id.hexString
        case .connectionId(let c): "0x" + c.hexString
        case .timestamp(let t): String(t.microsSinceUnixEpoch)
        case .timeDuration(let d): String(d.micros)
        case .option(nil): "NULL"
        case .option(let x?): x.sqlLiteral
        default: "\(self)"
        }
    }
}

/// Two lowercase hex digits.
func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}
