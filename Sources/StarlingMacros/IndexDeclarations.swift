import SwiftSyntax

/// One entry of `@Table(indexes: [...])`: `.btree("byOwnerAndSent", columns: ["owner", "sent"])`,
/// `.btree(..., unique: true)` or `.hash(...)`. Columns are named by their Swift property.
struct DeclaredIndex {
    /// The accessor's name on the table handle (`ctx.db[T.self].<accessor>`).
    var accessor: String
    var isHash: Bool
    var isUnique: Bool
    /// Positions of the key columns, in key order.
    var columns: [Int]

    /// The index's name in the database: `<table>_<accessor in snake_case>`.
    func indexName(table: String) -> String { "\(table)_\(snakeCase(accessor))" }

    /// The generated accessor struct: `byOwnerAndSent` → `ByOwnerAndSentIndex`.
    var typeName: String {
        var out = ""
        var upper = true
        for c in accessor {
            if c == "_" {
                upper = true
            } else {
                out += upper ? c.uppercased() : String(c)
                upper = false
            }
        }
        return out + "Index"
    }
}

/// Reads and checks `@Table(indexes:)`.
struct IndexDeclarationParser {
    var props: [StoredProperty]
    var typeName: String
    /// Accessor names already taken (property index accessors, handle members).
    var taken: [String: String]
    /// The indexes the property attributes make (keys, `@Index`): a declared index on the same
    /// columns with the same algorithm would duplicate one (and for a key, take over its name).
    var propertyIndexes: [(columns: [Int], isHash: Bool, owner: String)] = []

    func parse(_ expr: ExprSyntax?) throws -> [DeclaredIndex] {
        guard let expr else { return [] }
        guard let array = expr.as(ArrayExprSyntax.self) else {
            throw MacroError("`indexes:` must be an array literal: `[.btree(\"byOwner\", columns: [\"owner\"])]`", at: expr)
        }
        var out: [DeclaredIndex] = []
        var taken = self.taken
        for element in array.elements {
            let index = try parseOne(element.expression)
            if let owner = taken[index.accessor] {
                throw MacroError("index name `\(index.accessor)` is already used by \(owner); choose another name", at: element)
            }
            if let twin = out.first(where: { $0.columns == index.columns && $0.isHash == index.isHash }) {
                throw MacroError(
                    "indexes `\(twin.accessor)` and `\(index.accessor)` have the same columns and algorithm; declare it once",
                    at: element)
            }
            if let twin = propertyIndexes.first(where: { $0.columns == index.columns && $0.isHash == index.isHash }) {
                throw MacroError(
                    "index `\(index.accessor)` has the same columns as \(twin.owner); use that property's accessor instead",
                    at: element)
            }
            if out.contains(where: { $0.typeName == index.typeName }) {
                throw MacroError("index name `\(index.accessor)` differs from another only in underscores or case", at: element)
            }
            taken[index.accessor] = "index `\(index.accessor)`"
            out.append(index)
        }
        return out
    }

    private func parseOne(_ e: ExprSyntax) throws -> DeclaredIndex {
        let usage = "each index is `.btree(\"name\", columns: [\"property\", ...])`, `.btree(..., unique: true)` or `.hash(\"name\", columns: [...])`"
        guard let call = e.as(FunctionCallExprSyntax.self), let member = call.calledExpression.as(MemberAccessExprSyntax.self),
            member.base == nil
        else { throw MacroError(usage, at: e) }
        let kind = member.declName.baseName.text
        guard kind == "btree" || kind == "hash" else { throw MacroError(usage, at: e) }
        var name: String?
        var columns: [Int] = []
        var unique = false
        var sawColumns = false
        for arg in call.arguments {
            switch arg.label?.text ?? "" {
            case "": name = try stringLiteral(arg.expression, "the index name")
            case "columns":
                columns = try parseColumns(arg.expression)
                sawColumns = true
            case "unique" where kind == "btree":
                guard let b = arg.expression.as(BooleanLiteralExprSyntax.self) else {
                    throw MacroError("`unique:` must be `true` or `false`", at: arg.expression)
                }
                unique = b.literal.tokenKind == .keyword(.true)
            default: throw MacroError(usage, at: arg)
            }
        }
        guard let name, sawColumns else { throw MacroError(usage, at: e) }
        guard isIdentifier(name) else {
            throw MacroError(
                "index name `\(name)` must be a Swift identifier: it names the accessor `ctx.db[\(typeName).self].\(name)`", at: e)
        }
        return DeclaredIndex(accessor: name, isHash: kind == "hash", isUnique: unique, columns: columns)
    }

    private func parseColumns(_ e: ExprSyntax) throws -> [Int] {
        guard let array = e.as(ArrayExprSyntax.self), !array.elements.isEmpty else {
            throw MacroError("`columns:` must be a non-empty array of property names", at: e)
        }
        var out: [Int] = []
        for element in array.elements {
            let name = try stringLiteral(element.expression, "a column")
            guard let i = props.firstIndex(where: { $0.name == name }) else {
                throw MacroError(unknownColumn(name), at: element.expression)
            }
            if out.contains(i) { throw MacroError("column `\(name)` appears twice in the index", at: element.expression) }
            out.append(i)
        }
        return out
    }

    private func unknownColumn(_ name: String) -> String {
        if let p = props.first(where: { $0.columnName == name || $0.name.lowercased() == name.lowercased() }) {
            return "`\(name)` is not a stored property of `\(typeName)`; did you mean `\(p.name)`? (columns are named by their Swift property)"
        }
        return "`\(name)` is not a stored property of `\(typeName)`; its properties are "
            + props.map { "`\($0.name)`" }.joined(separator: ", ")
    }

    private func stringLiteral(_ e: ExprSyntax, _ what: String) throws -> String {
        guard let s = e.as(StringLiteralExprSyntax.self), s.segments.count == 1, case .stringSegment(let seg) = s.segments.first
        else { throw MacroError("\(what) must be a plain string literal", at: e) }
        return seg.content.text
    }

    private func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }
}
