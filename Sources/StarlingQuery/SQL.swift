/// Entry points of the SQL front end.
///
/// ```swift
/// let statements = try SQL.parse("SELECT * FROM player WHERE score > 10; DELETE FROM item")
/// ```
public enum SQL {
    /// Parses `;`-separated statements (empty ones are skipped). Errors carry the line and column.
    public static func parse(_ text: String) throws(SQLError) -> [SQL.Statement] {
        var parser = try Parser(text)
        return try parser.statements()
    }

    /// Parses one boolean condition, as written after WHERE (for ``QueryContext/rowFilters``).
    public static func parseCondition(_ text: String) throws(SQLError) -> SQL.Expr {
        var parser = try Parser(text)
        let e = try parser.expression()
        guard parser.current.kind == .end else { throw parser.failure("end of condition") }
        return e
    }
}
