import StarlingTypes

/// An error from the datastore: a stable code plus a message that says what was wrong and where.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. Codes are stable; they will cross the wire and the module ABI.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let noSuchTable = Code(rawValue: 100)
        public static let noSuchColumn = Code(rawValue: 101)
        public static let noSuchIndex = Code(rawValue: 102)
        public static let tableExists = Code(rawValue: 103)
        public static let invalidSchema = Code(rawValue: 104)
        public static let uniqueViolation = Code(rawValue: 110)
        public static let typeMismatch = Code(rawValue: 111)
        public static let sequenceOverflow = Code(rawValue: 112)
        public static let rowNotFound = Code(rawValue: 113)
        public static let rowTooLarge = Code(rawValue: 114)
        public static let systemTableReadOnly = Code(rawValue: 115)
        public static let transactionClosed = Code(rawValue: 120)
        public static let invalidBound = Code(rawValue: 121)

        public var description: String {
            switch self {
            case .noSuchTable: "no_such_table"
            case .noSuchColumn: "no_such_column"
            case .noSuchIndex: "no_such_index"
            case .tableExists: "table_exists"
            case .invalidSchema: "invalid_schema"
            case .uniqueViolation: "unique_violation"
            case .typeMismatch: "type_mismatch"
            case .sequenceOverflow: "sequence_overflow"
            case .rowNotFound: "row_not_found"
            case .rowTooLarge: "row_too_large"
            case .systemTableReadOnly: "system_table_read_only"
            case .transactionClosed: "transaction_closed"
            case .invalidBound: "invalid_bound"
            default: "store_error_\(rawValue)"
            }
        }

        public static func ~= (code: Code, error: StoreError) -> Bool { error.code == code }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func noSuchTable(_ name: String, known: [String]) -> StoreError {
        StoreError(.noSuchTable, "table `\(name)` not found" + didYouMean(name, known))
    }

    static func noSuchColumn(_ name: String, table: String, known: [String]) -> StoreError {
        StoreError(.noSuchColumn, "column `\(name)` not found in table `\(table)`" + didYouMean(name, known))
    }

    static func typeMismatch(table: String, _ error: BSATNError) -> StoreError {
        StoreError(.typeMismatch, "row does not match the type of table `\(table)`: \(error.message) (byte \(error.offset))")
    }
}

/// "; did you mean `x`?" when a known name is within a small edit distance, else "".
package func didYouMean(_ name: String, _ known: [String]) -> String {
    let scored = known.map { ($0, editDistance(Array(name.utf8), Array($0.utf8))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, name.utf8.count / 3) else { return "" }
    return "; did you mean `\(best.0)`?"
}

/// Levenshtein distance between two byte strings.
package func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
