import SwiftSyntax

/// A column's default: the initial value of its stored property (`var level: UInt32 = 1`).
///
/// The value is what existing rows receive when a module update appends the column. `@Table`
/// evaluates it in the table's describer (as a static member of the row type, so it may use the
/// type's static members) and sends its BSATN to the host with the schema.
struct ColumnDefault {
    var column: Int
    var property: StoredProperty

    /// The static member of the row type that holds the value.
    var member: String { "__starling_default_\(property.name)" }

    /// Refuses initial values that are literals of another kind than the column's type, with a
    /// message at the value (the compiler would also refuse them, less clearly). Other expressions
    /// are left to the compiler, which checks them against the property's type.
    static func check(_ p: StoredProperty) throws {
        guard let value = p.initializer else { return }
        var type = p.type
        var optional = false
        if type.hasPrefix("Optional<"), type.hasSuffix(">") {
            type = String(type.dropFirst("Optional<".count).dropLast())
            optional = true
        }
        guard let family = LiteralFamily(type: type) else { return }
        let (kind, negative) = literalKind(value)
        guard let kind else { return }
        func fail(_ what: String) -> MacroError {
            let written = optional ? type + "?" : type
            return MacroError(
                "the default value of column `\(p.columnName)` is \(what), but the column has type \(written); write a value of that type",
                at: value)
        }
        switch kind {
        case .nil where !optional: throw fail("`nil`")
        case .nil: return
        case .string where family != .string: throw fail("a string literal")
        case .bool where family != .bool: throw fail("a boolean literal")
        case .float where family != .float: throw fail("a floating-point literal")
        case .integer where family == .string || family == .bool: throw fail("an integer literal")
        case .integer where negative && family == .unsigned: throw fail("a negative number")
        default: return
        }
    }

    private enum LiteralKind { case string, integer, float, bool, `nil` }

    private static func literalKind(_ e: ExprSyntax) -> (LiteralKind?, negative: Bool) {
        if let p = e.as(PrefixOperatorExprSyntax.self), p.operator.text == "-" {
            return (literalKind(p.expression).0, true)
        }
        if e.is(StringLiteralExprSyntax.self) { return (.string, false) }
        if e.is(IntegerLiteralExprSyntax.self) { return (.integer, false) }
        if e.is(FloatLiteralExprSyntax.self) { return (.float, false) }
        if e.is(BooleanLiteralExprSyntax.self) { return (.bool, false) }
        if e.is(NilLiteralExprSyntax.self) { return (.nil, false) }
        return (nil, false)
    }

    /// The standard column types whose literals the check knows.
    private enum LiteralFamily {
        case string, bool, float, signed, unsigned

        init?(type: String) {
            switch type {
            case "String": self = .string
            case "Bool": self = .bool
            case "Float", "Double": self = .float
            case "Int8", "Int16", "Int32", "Int64", "Int128", "Int": self = .signed
            case "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "UInt": self = .unsigned
            default: return nil
            }
        }
    }
}
