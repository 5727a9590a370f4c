import StarlingStore
import StarlingTypes

/// Resolves names in conditions against the tables of a query and types the literals.
struct Binder {
    var tables: [BoundTable]
    /// The positions of `tables` in scope (an ON condition sees only the tables joined so far).
    var visible: [Int]
    var context: QueryContext
    /// Whether typed literals remember where the query text wrote them (``LiteralOrigin``): set for
    /// the query's own conditions, not for row-level security filters, which come from elsewhere.
    var tagsLiterals = false

    init(tables: [BoundTable], visible: [Int]? = nil, context: QueryContext) {
        self.tables = tables
        self.visible = visible ?? Array(tables.indices)
        self.context = context
    }

    /// Whether columns are shown qualified (`p.score`): when the query has several tables.
    var qualifies: Bool { tables.count > 1 }

    func slot(_ table: Int, _ column: Int) -> ColumnSlot {
        let t = tables[table]
        let c = t.schema.columns[column]
        return ColumnSlot(
            table: table, column: column, slot: t.offset + column, type: c.type, name: c.name,
            display: qualifies ? "\(t.referenceName).\(c.name)" : c.name)
    }

    // MARK: columns

    func column(_ ref: ColumnRef) throws(SQLError) -> ColumnSlot {
        if let q = ref.table { return try qualifiedColumn(q, ref.column) }
        let name = ref.column.text
        let matches = visible.compactMap { i in tables[i].schema.columnIndex(name).map { (i, $0) } }
        if matches.count == 1 { return slot(matches[0].0, matches[0].1) }
        if matches.count > 1 {
            let owners = matches.map { "`\(tables[$0.0].referenceName)`" }
            let options = matches.map { "`\(tables[$0.0].referenceName).\(name)`" }
            throw SQLError(
                .ambiguous,
                "column `\(name)` is ambiguous: \(owners.joined(separator: " and ")) both have it; write \(options.joined(separator: " or "))",
                at: ref.position)
        }
        if visible.count == 1 { throw unknownColumn(name, in: tables[visible[0]], at: ref.position) }
        let known = visible.flatMap { tables[$0].schema.columns.map(\.name) }
        let names = visible.map { "`\(tables[$0].name)`" }.joined(separator: ", ")
        throw SQLError(
            .unknownColumn, "column `\(name)` not found in tables \(names)" + suggestion(for: name, among: known),
            at: ref.position)
    }

    private func qualifiedColumn(_ q: Name, _ column: Name) throws(SQLError) -> ColumnSlot {
        guard let i = visible.first(where: { tables[$0].referenceName == q.text }) else {
            if let aliased = visible.first(where: { tables[$0].name == q.text }) {
                let alias = tables[aliased].referenceName
                throw SQLError(
                    .unknownTable,
                    "table `\(q.text)` is called `\(alias)` in this query; write `\(alias).\(column.text)`",
                    at: q.position)
            }
            let known = visible.map { tables[$0].referenceName }
            throw SQLError(
                .unknownTable,
                "table or alias `\(q.text)` not found in this query" + suggestion(for: q.text, among: known),
                at: q.position)
        }
        guard let c = tables[i].schema.columnIndex(column.text) else {
            throw unknownColumn(column.text, in: tables[i], at: column.position)
        }
        return slot(i, c)
    }

    func unknownColumn(_ name: String, in table: BoundTable, at position: SourcePosition) -> SQLError {
        SQLError(
            .unknownColumn,
            "column `\(name)` not found in table `\(table.name)`"
                + suggestion(for: name, among: table.schema.columns.map(\.name)),
            at: position)
    }

    /// The table (by position in `tables`) that `name` refers to, for `t.*`.
    func table(named name: Name) throws(SQLError) -> Int {
        if let i = visible.first(where: { tables[$0].referenceName == name.text }) { return i }
        let known = visible.map { tables[$0].referenceName }
        throw SQLError(
            .unknownTable,
            "table or alias `\(name.text)` not found in this query" + suggestion(for: name.text, among: known),
            at: name.position)
    }

    // MARK: literals

    /// A literal as a value of `type`; `what` says what the literal (given as SQL text) was for:
    /// "cannot compare column `level` (u8) with 300". The reason follows after a colon.
    func value(_ literal: Literal, as type: AlgebraicType, _ what: (String) -> String) throws(SQLError)
        -> AlgebraicValue
    {
        do throws(CoercionFailure) {
            return try literal.coerce(to: type, sender: context.caller)
        } catch {
            throw SQLError(error.code, "\(what(literal.description)): \(error.reason)", at: literal.position)
        }
    }
}
