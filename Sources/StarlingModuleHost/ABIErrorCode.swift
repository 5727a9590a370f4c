import StarlingStore

/// The `i32` error codes of the `starling_1.0` imports: the one table (see `docs/module-abi.md`,
/// "Error codes"). Modules compare against these numbers, so they never change.
public struct ABIErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = ABIErrorCode(rawValue: 0)
    public static let noSuchTable = ABIErrorCode(rawValue: 1)
    public static let noSuchIndex = ABIErrorCode(rawValue: 2)
    public static let noSuchIter = ABIErrorCode(rawValue: 3)
    public static let bsatnDecode = ABIErrorCode(rawValue: 4)
    public static let uniqueViolation = ABIErrorCode(rawValue: 5)
    public static let notFound = ABIErrorCode(rawValue: 6)
    public static let bufferTooSmall = ABIErrorCode(rawValue: 7)
    public static let exhausted = ABIErrorCode(rawValue: 8)
    public static let notInTransaction = ABIErrorCode(rawValue: 9)
    public static let sequenceExhausted = ABIErrorCode(rawValue: 10)
    public static let indexNotUnique = ABIErrorCode(rawValue: 11)
    public static let wrongIndexKind = ABIErrorCode(rawValue: 12)
    public static let notDescribing = ABIErrorCode(rawValue: 13)
    public static let invalidItem = ABIErrorCode(rawValue: 14)
    public static let systemTable = ABIErrorCode(rawValue: 15)
    public static let limitExceeded = ABIErrorCode(rawValue: 16)

    public var description: String {
        switch self {
        case .ok: "OK"
        case .noSuchTable: "NO_SUCH_TABLE"
        case .noSuchIndex: "NO_SUCH_INDEX"
        case .noSuchIter: "NO_SUCH_ITER"
        case .bsatnDecode: "BSATN_DECODE"
        case .uniqueViolation: "UNIQUE_VIOLATION"
        case .notFound: "NOT_FOUND"
        case .bufferTooSmall: "BUFFER_TOO_SMALL"
        case .exhausted: "EXHAUSTED"
        case .notInTransaction: "NOT_IN_TRANSACTION"
        case .sequenceExhausted: "SEQUENCE_EXHAUSTED"
        case .indexNotUnique: "INDEX_NOT_UNIQUE"
        case .wrongIndexKind: "WRONG_INDEX_KIND"
        case .notDescribing: "NOT_DESCRIBING"
        case .invalidItem: "INVALID_ITEM"
        case .systemTable: "SYSTEM_TABLE"
        case .limitExceeded: "LIMIT_EXCEEDED"
        default: "ERROR_\(rawValue)"
        }
    }

    /// The ABI code for a datastore error. Callers check index kinds and uniqueness before calling
    /// the store, so the store's catch-all `invalid_bound` only reaches here for malformed keys.
    public init(_ error: StoreError) {
        switch error.code {
        case .noSuchTable: self = .noSuchTable
        case .noSuchIndex: self = .noSuchIndex
        case .typeMismatch, .invalidBound, .noSuchColumn: self = .bsatnDecode
        case .uniqueViolation: self = .uniqueViolation
        case .rowNotFound: self = .notFound
        case .sequenceOverflow: self = .sequenceExhausted
        case .systemTableReadOnly: self = .systemTable
        case .rowTooLarge: self = .limitExceeded
        case .transactionClosed: self = .notInTransaction
        default: self = .bsatnDecode
        }
    }
}
