// The syntax tree, in the `SQL` namespace: `SQL.Statement`, `SQL.Select`, `SQL.Expr`, ...

extension SQL {
    /// One parsed SQL statement. Produce with ``SQL/parse(_:)``; run with ``QueryEngine``.
    public enum Statement: Hashable, Sendable {
        case select(Select)
        /// `EXPLAIN SELECT ...`: the plan as rows of text instead of the rows.
        case explain(Select)
        case insert(Insert)
        case update(Update)
        case delete(Delete)

        /// Whether the statement writes (INSERT, UPDATE, DELETE).
        public var isDML: Bool {
            switch self {
            case .select, .explain: false
            case .insert, .update, .delete: true
            }
        }
    }

    /// A name as written (unquoted or "quoted") and where it was written.
    public struct Name: Hashable, Sendable, CustomStringConvertible {
        public var text: String
        public var position: SourcePosition
        public init(_ text: String, at position: SourcePosition) {
            self.text = text
            self.position = position
        }
        public var description: String { text }
    }

    /// `table [AS alias]` in a FROM or JOIN clause.
    public struct TableRef: Hashable, Sendable {
        public var name: Name
        public var alias: Name?
        public init(name: Name, alias: Name? = nil) {
            self.name = name
            self.alias = alias
        }
        /// The name the query refers to the table by: the alias if given, else the table name.
        public var referenceName: Name { alias ?? name }
    }

    /// `column` or `table.column`.
    public struct ColumnRef: Hashable, Sendable, CustomStringConvertible {
        public var table: Name?
        public var column: Name
        public init(table: Name? = nil, column: Name) {
            self.table = table
            self.column = column
        }
        public var position: SourcePosition { table?.position ?? column.position }
        public var description: String { table.map { "\($0).\(column)" } ?? column.text }
    }

    /// A literal value or parameter as written, not yet typed.
    public struct Literal: Hashable, Sendable, CustomStringConvertible {
        /// The kinds of literal.
        public enum Kind: Hashable, Sendable {
            /// Decimal digits with an optional leading `-`.
            case integer(String)
            /// A decimal number with a fraction or exponent, optional leading `-`.
            case float(String)
            case string(String)
            /// Hex digits; `isNumber` for `0x...` (a number, most significant digit first), false for `X'...'`.
            case hex(String, isNumber: Bool)
            case bool(Bool)
            case null
            /// `:name` (only `:sender`, the caller's identity, is defined).
            case parameter(String)
        }

        public var kind: Kind
        public var position: SourcePosition
        public init(kind: Kind, position: SourcePosition) {
            self.kind = kind
            self.position = position
        }

        /// The literal as SQL text: `300`, `'ann'`, `0xff`, `X'ff'`, `TRUE`, `NULL`, `:sender`.
        public var description: String {
            switch kind {
            case .integer(let t), .float(let t): t
            case .string(let s):
                "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
            case .hex(let d, true): "0x" + d
            case .hex(let d, false): "X'" + d + "'"
            case .bool(let b): b ? "TRUE" : "FALSE"
            case .null: "NULL"
            case .parameter(let p): ":" + p
            }
        }
    }

    /// One side of a comparison.
    public enum Operand: Hashable, Sendable, CustomStringConvertible {
        case column(ColumnRef)
        case literal(Literal)

        public var position: SourcePosition {
            switch self {
            case .column(let c): c.position
            case .literal(let l): l.position
            }
        }

        public var description: String {
            switch self {
            case .column(let c): c.description
            case .literal(let l): l.description
            }
        }
    }

    /// A comparison operator.
    public enum ComparisonOperator: String, Hashable, Sendable {
        case equal = "="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="

        /// The operator with its operands swapped (`a < b` is `b > a`).
        public var flipped: ComparisonOperator {
            switch self {
            case .equal, .notEqual: self
            case .less: .greater
            case .lessOrEqual: .greaterOrEqual
            case .greater: .less
            case .greaterOrEqual: .lessOrEqual
            }
        }
    }

    /// A boolean condition (WHERE, ON).
    public indirect enum Expr: Hashable, Sendable {
        case comparison(Operand, ComparisonOperator, Operand, at: SourcePosition)
        /// `operand IS [NOT] NULL`.
        case isNull(Operand, negated: Bool, at: SourcePosition)
        case and(Expr, Expr)
        case or(Expr, Expr)
        case not(Expr, at: SourcePosition)
        /// A bare operand used as a condition: a bool column or TRUE/FALSE.
        case operand(Operand)
    }

    /// What a SELECT returns.
    public enum Projection: Hashable, Sendable {
        /// `*`: every column of every table, in FROM/JOIN order.
        case all
        /// `COUNT(*) [AS alias]`.
        case count(alias: Name?, at: SourcePosition)
        /// A list of `t.*` and `column [AS alias]` items.
        case items([SelectItem])
    }

    /// One item of a SELECT list.
    public enum SelectItem: Hashable, Sendable {
        /// `t.*`.
        case allColumns(of: Name)
        /// `column [AS alias]`.
        case column(ColumnRef, alias: Name?)
    }

    /// `INNER JOIN table [AS alias] ON condition`.
    public struct Join: Hashable, Sendable {
        public var table: TableRef
        public var condition: Expr
        public init(table: TableRef, condition: Expr) {
            self.table = table
            self.condition = condition
        }
    }

    /// `column [ASC|DESC]` in ORDER BY.
    public struct OrderItem: Hashable, Sendable {
        public var column: ColumnRef
        public var descending: Bool
        public init(column: ColumnRef, descending: Bool = false) {
            self.column = column
            self.descending = descending
        }
    }

    /// A SELECT statement.
    public struct Select: Hashable, Sendable {
        public var projection: Projection
        public var from: TableRef
        public var joins: [Join]
        public var filter: Expr?
        public var orderBy: [OrderItem]
        public var limit: Limit?

        public init(
            projection: Projection, from: TableRef, joins: [Join] = [], filter: Expr? = nil, orderBy: [OrderItem] = [],
            limit: Limit? = nil
        ) {
            self.projection = projection
            self.from = from
            self.joins = joins
            self.filter = filter
            self.orderBy = orderBy
            self.limit = limit
        }
    }

    /// `LIMIT count`.
    public struct Limit: Hashable, Sendable {
        public var count: UInt64
        public var position: SourcePosition
        public init(count: UInt64, position: SourcePosition) {
            self.count = count
            self.position = position
        }
    }

    /// `INSERT INTO table [(columns)] VALUES (...), (...)`.
    public struct Insert: Hashable, Sendable {
        public var table: Name
        /// The listed columns; `nil` means every column in table order.
        public var columns: [Name]?
        public var rows: [[Literal]]
        /// Where each VALUES tuple starts.
        public var rowPositions: [SourcePosition]

        public init(table: Name, columns: [Name]?, rows: [[Literal]], rowPositions: [SourcePosition]) {
            self.table = table
            self.columns = columns
            self.rows = rows
            self.rowPositions = rowPositions
        }
    }

    /// `column = literal` in UPDATE ... SET.
    public struct Assignment: Hashable, Sendable {
        public var column: Name
        public var value: Literal
        public init(column: Name, value: Literal) {
            self.column = column
            self.value = value
        }
    }

    /// `UPDATE table SET assignments [WHERE condition]`.
    public struct Update: Hashable, Sendable {
        public var table: Name
        public var assignments: [Assignment]
        public var filter: Expr?
        public init(table: Name, assignments: [Assignment], filter: Expr? = nil) {
            self.table = table
            self.assignments = assignments
            self.filter = filter
        }
    }

    /// `DELETE FROM table [WHERE condition]`.
    public struct Delete: Hashable, Sendable {
        public var table: Name
        public var filter: Expr?
        public init(table: Name, filter: Expr? = nil) {
            self.table = table
            self.filter = filter
        }
    }
}
