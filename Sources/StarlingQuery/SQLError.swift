/// A place in the SQL text: a byte offset plus the 1-based line and column (columns count
/// characters, not bytes).
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    /// Byte offset into the UTF-8 text, from 0.
    public var offset: Int
    /// Line number, from 1.
    public var line: Int
    /// Column number within the line, from 1 (Unicode scalars).
    public var column: Int

    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// `line:column`, e.g. `1:15`.
    public var description: String { "\(line):\(column)" }
}

/// Why a SQL statement could not be parsed, checked or executed.
///
/// `message` says what was wrong and what to do; `position` (when known) points into the SQL text.
/// ``description`` renders both: `syntax error at 1:15: expected FROM, found "FORM"`.
public struct SQLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; stable numbers, matched in `catch` with `~=`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// The text does not follow the grammar.
        public static let syntax = Code(rawValue: 1)
        /// A table that does not exist (or that the caller may not see).
        public static let unknownTable = Code(rawValue: 2)
        /// A column that no table in scope has.
        public static let unknownColumn = Code(rawValue: 3)
        /// A value or comparison whose types do not fit.
        public static let typeMismatch = Code(rawValue: 4)
        /// An unqualified column that more than one table in scope has, or a table named twice.
        public static let ambiguous = Code(rawValue: 5)
        /// The caller may not do this (DML by a non-owner, DML on a read-only handle, system tables).
        public static let permission = Code(rawValue: 6)
        /// The datastore refused a write: a unique constraint, an exhausted sequence.
        public static let constraint = Code(rawValue: 7)
        /// A statement that is well formed but not valid: a missing INSERT value, a bad LIMIT.
        public static let invalid = Code(rawValue: 8)
        /// An unknown `:parameter`.
        public static let unknownParameter = Code(rawValue: 9)
        /// Any other datastore failure.
        public static let store = Code(rawValue: 10)

        public var description: String {
            switch self {
            case .syntax: "syntax"
            case .unknownTable: "unknown_table"
            case .unknownColumn: "unknown_column"
            case .typeMismatch: "type_mismatch"
            case .ambiguous: "ambiguous"
            case .permission: "permission"
            case .constraint: "constraint"
            case .invalid: "invalid"
            case .unknownParameter: "unknown_parameter"
            case .store: "store"
            default: "sql_error_\(rawValue)"
            }
        }

        /// Lets `catch SQLError.Code.syntax` style matching work on errors.
        public static func ~= (code: Code, error: SQLError) -> Bool { error.code == code }
    }

    public var code: Code
    /// What went wrong, without the position.
    public var message: String
    /// Where in the SQL text, when known.
    public var position: SourcePosition?

    public init(_ code: Code, _ message: String, at position: SourcePosition? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    /// `syntax error at 1:15: message`, `error at 1:8: message`, or just the message when there
    /// is no position.
    public var description: String {
        guard let position else { return message }
        return "\(code == .syntax ? "syntax error" : "error") at \(position): \(message)"
    }
}
