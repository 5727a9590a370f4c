import StarlingStore
import StarlingTypes

/// An index of a table in scope: its id in the datastore and its schema.
struct IndexInfo: Hashable, Sendable {
    var id: IndexId
    var schema: IndexSchema
}

/// A table referenced by a query, with the slots its columns take in a joined row.
struct BoundTable: Sendable {
    var id: TableId
    var schema: TableSchema
    /// The alias if given, else the table name.
    var referenceName: String
    var hasAlias: Bool
    /// The slot of the table's first column in a joined row.
    var offset: Int
    var indexes: [IndexInfo]

    var name: String { schema.name }

    /// `player` or `player AS p`.
    var displayName: String { hasAlias ? "\(schema.name) AS \(referenceName)" : schema.name }
}

/// A column of a table in scope.
struct ColumnSlot: Hashable, Sendable {
    /// Which table of the query (0 = FROM, then JOINs in order).
    var table: Int
    /// The column's position in its table.
    var column: Int
    /// The position in a joined row.
    var slot: Int
    var type: AlgebraicType
    var name: String
    /// How EXPLAIN and messages show the column: `p.score` when the query has several tables,
    /// else `score`.
    var display: String
}

/// Looks up tables, honouring visibility: a non-owner cannot see private tables at all.
enum TableResolver {
    static func resolve(
        _ name: Name, in reader: some StoreReading, context: QueryContext
    ) throws(SQLError) -> (id: TableId, schema: TableSchema, indexes: [IndexInfo]) {
        if let id = try? reader.tableId(name.text) {
            let schema = try withStore(at: name.position) { () throws(StoreError) in try reader.schema(id) }
            if isVisible(schema, context) {
                var indexes: [IndexInfo] = []
                for s in schema.indexes {
                    let index = try withStore(at: name.position) { () throws(StoreError) in
                        try reader.indexId(s.name, table: id)
                    }
                    indexes.append(IndexInfo(id: index, schema: s))
                }
                return (id, schema, indexes)
            }
        }
        let known = try withStore(at: name.position) { () throws(StoreError) in
            var known: [String] = []
            for (id, n) in try reader.tableNames() where isVisible(try reader.schema(id), context) { known.append(n) }
            return known
        }
        throw SQLError(
            .unknownTable, "table `\(name.text)` not found" + suggestion(for: name.text, among: known),
            at: name.position)
    }

    static func isVisible(_ schema: TableSchema, _ context: QueryContext) -> Bool {
        context.isOwner || schema.access == .public || schema.tableType == .system
    }
}

extension SQLError {
    /// A datastore error turned into a SQL error (unique violations become `constraint`).
    init(_ error: StoreError, at position: SourcePosition? = nil) {
        let code: Code
        switch error.code {
        case .uniqueViolation, .sequenceOverflow: code = .constraint
        case .systemTableReadOnly: code = .permission
        case .typeMismatch: code = .typeMismatch
        case .noSuchTable: code = .unknownTable
        case .noSuchColumn: code = .unknownColumn
        default: code = .store
        }
        self.init(code, error.message, at: position)
    }
}

/// Runs a datastore call, turning its error into a ``SQLError``.
func withStore<T>(at position: SourcePosition? = nil, _ body: () throws(StoreError) -> T) throws(SQLError) -> T {
    do throws(StoreError) {
        return try body()
    } catch {
        throw SQLError(error, at: position)
    }
}
