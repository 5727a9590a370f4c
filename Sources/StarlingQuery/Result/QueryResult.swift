public import StarlingTypes

/// The result of one statement: named, typed columns and rows of values; for INSERT, UPDATE and
/// DELETE no columns or rows but ``affectedRows``.
public struct QueryResult: Hashable, Sendable {
    /// One result column.
    public struct Column: Hashable, Sendable {
        public var name: String
        public var type: AlgebraicType
        public init(name: String, type: AlgebraicType) {
            self.name = name
            self.type = type
        }
    }

    public var columns: [Column]
    /// One array per row, one value per column.
    public var rows: [[AlgebraicValue]]
    /// How many rows an INSERT, UPDATE or DELETE inserted, changed or deleted; nil for queries.
    public var affectedRows: Int?

    public init(columns: [Column], rows: [[AlgebraicValue]], affectedRows: Int? = nil) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    /// The result of a statement that changed `count` rows.
    public static func affected(_ count: Int) -> QueryResult { QueryResult(columns: [], rows: [], affectedRows: count) }
}
