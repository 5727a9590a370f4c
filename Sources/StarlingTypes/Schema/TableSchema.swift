/// Identifies a table within one database (system tables have the lowest ids).
public typealias TableId = UInt32
/// Identifies an index within one database.
public typealias IndexId = UInt32
/// Identifies a sequence within one database.
public typealias SequenceId = UInt32
/// Identifies a constraint within one database.
public typealias ConstraintId = UInt32

/// Who may read a table: `public` tables are readable by every client, `private` ones by the
/// database owner (and the module) only.
public enum TableAccess: String, Hashable, Sendable {
    case `public`
    case `private`
}

/// Whether a table describes the schema itself (`system`) or belongs to the module (`user`).
public enum TableType: String, Hashable, Sendable {
    case system
    case user
}

/// How an index orders its keys: `btree` supports point lookups and ranges (also on prefixes of
/// multi-column keys); `hash` supports point lookups only.
public enum IndexAlgorithm: String, Hashable, Sendable {
    case btree
    case hash
}

/// One column of a table.
public struct ColumnSchema: Hashable, Sendable {
    public var name: String
    public var type: AlgebraicType
    public init(_ name: String, _ type: AlgebraicType) {
        self.name = name
        self.type = type
    }
}

/// An index on one or more columns (by position). A unique index rejects two rows with the same key.
public struct IndexSchema: Hashable, Sendable {
    public var name: String
    public var columns: [Int]
    public var algorithm: IndexAlgorithm
    public var isUnique: Bool
    public init(name: String, columns: [Int], algorithm: IndexAlgorithm = .btree, isUnique: Bool = false) {
        self.name = name
        self.columns = columns
        self.algorithm = algorithm
        self.isUnique = isUnique
    }
}

/// A unique constraint on one or more columns. It is enforced by a unique index on exactly those
/// columns; the datastore creates a btree one when the schema declares none.
public struct ConstraintSchema: Hashable, Sendable {
    public var name: String
    public var columns: [Int]
    public init(name: String, columns: [Int]) {
        self.name = name
        self.columns = columns
    }
}

/// An auto-increment sequence feeding one integer column: inserting a row whose value in that
/// column is zero stores the sequence's next value instead.
public struct SequenceSchema: Hashable, Sendable {
    public var name: String
    public var column: Int
    public var start: Int128
    public var increment: Int128
    public var min: Int128
    public var max: Int128
    public init(name: String, column: Int, start: Int128 = 1, increment: Int128 = 1, min: Int128 = 1, max: Int128 = Int128(Int64.max)) {
        self.name = name
        self.column = column
        self.start = start
        self.increment = increment
        self.min = min
        self.max = max
    }
}

/// The definition of a table: its columns, keys, indexes, constraints, sequences and access.
public struct TableSchema: Hashable, Sendable {
    public var name: String
    public var columns: [ColumnSchema]
    /// Position of the primary-key column (implies a unique constraint on it).
    public var primaryKey: Int?
    public var indexes: [IndexSchema]
    public var constraints: [ConstraintSchema]
    public var sequences: [SequenceSchema]
    public var access: TableAccess
    public var tableType: TableType

    public init(
        name: String, columns: [ColumnSchema], primaryKey: Int? = nil, indexes: [IndexSchema] = [],
        constraints: [ConstraintSchema] = [], sequences: [SequenceSchema] = [], access: TableAccess = .public,
        tableType: TableType = .user
    ) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.indexes = indexes
        self.constraints = constraints
        self.sequences = sequences
        self.access = access
        self.tableType = tableType
    }

    /// The row type: a product of the columns.
    public var rowType: ProductType { ProductType(columns.map { .init($0.name, $0.type) }) }

    /// The position of the column with this name, if any.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
}
