// The host imports of the `starling_1.0` ABI (see docs/module-abi.md). Internal: module authors
// use the typed API (tables, indexes, the reducer context) built on top of these.

@_extern(wasm, module: "starling_1.0", name: "table_id_from_name") @_extern(c)
func _tableIDFromName(_ name: UnsafePointer<UInt8>?, _ len: UInt32, _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "index_id_from_name") @_extern(c)
func _indexIDFromName(_ name: UnsafePointer<UInt8>?, _ len: UInt32, _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "table_row_count") @_extern(c)
func _tableRowCount(_ table: UInt32, _ out: UnsafeMutablePointer<UInt64>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "table_scan") @_extern(c)
func _tableScan(_ table: UInt32, _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "index_scan_point") @_extern(c)
func _indexScanPoint(_ index: UInt32, _ key: UnsafePointer<UInt8>?, _ keyLen: UInt32, _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "index_find") @_extern(c)
func _indexFind(
    _ index: UInt32, _ key: UnsafePointer<UInt8>?, _ keyLen: UInt32, _ buf: UnsafeMutablePointer<UInt8>?,
    _ inoutLen: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "index_scan_range") @_extern(c)
func _indexScanRange(
    _ index: UInt32, _ lower: UnsafePointer<UInt8>?, _ lowerLen: UInt32, _ upper: UnsafePointer<UInt8>?, _ upperLen: UInt32,
    _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "row_iter_next") @_extern(c)
func _rowIterNext(_ iter: UInt32, _ buf: UnsafeMutablePointer<UInt8>?, _ inoutLen: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "row_iter_close") @_extern(c)
func _rowIterClose(_ iter: UInt32) -> Int32

@_extern(wasm, module: "starling_1.0", name: "insert") @_extern(c)
func _insert(_ table: UInt32, _ row: UnsafeMutablePointer<UInt8>?, _ len: UInt32) -> Int32

@_extern(wasm, module: "starling_1.0", name: "update_by_index") @_extern(c)
func _updateByIndex(_ index: UInt32, _ row: UnsafeMutablePointer<UInt8>?, _ len: UInt32) -> Int32

@_extern(wasm, module: "starling_1.0", name: "delete_by_index_point") @_extern(c)
func _deleteByIndexPoint(_ index: UInt32, _ key: UnsafePointer<UInt8>?, _ keyLen: UInt32, _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "delete_by_index_range") @_extern(c)
func _deleteByIndexRange(
    _ index: UInt32, _ lower: UnsafePointer<UInt8>?, _ lowerLen: UInt32, _ upper: UnsafePointer<UInt8>?, _ upperLen: UInt32,
    _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "delete_by_row") @_extern(c)
func _deleteByRow(_ table: UInt32, _ row: UnsafePointer<UInt8>?, _ len: UInt32, _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "table_clear") @_extern(c)
func _tableClear(_ table: UInt32, _ out: UnsafeMutablePointer<UInt32>) -> Int32

@_extern(wasm, module: "starling_1.0", name: "reducer_args") @_extern(c)
func _reducerArgs(_ dst: UnsafeMutablePointer<UInt8>?) -> Int32

@_extern(wasm, module: "starling_1.0", name: "args_buffer") @_extern(c)
func _argsBuffer(_ ptr: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32) -> Int32

@_extern(wasm, module: "starling_1.0", name: "reducer_error") @_extern(c)
func _reducerError(_ msg: UnsafePointer<UInt8>?, _ len: UInt32) -> Int32

@_extern(wasm, module: "starling_1.0", name: "describe_item") @_extern(c)
func _describeItem(_ item: UnsafePointer<UInt8>?, _ len: UInt32) -> Int32

@_extern(wasm, module: "starling_1.0", name: "log") @_extern(c)
func _log(_ level: UInt32, _ file: UnsafePointer<UInt8>?, _ fileLen: UInt32, _ line: UInt32, _ msg: UnsafePointer<UInt8>?, _ msgLen: UInt32)

@_extern(wasm, module: "starling_1.0", name: "timer_start") @_extern(c)
func _timerStart(_ name: UnsafePointer<UInt8>?, _ len: UInt32) -> UInt32

@_extern(wasm, module: "starling_1.0", name: "timer_end") @_extern(c)
func _timerEnd(_ timer: UInt32) -> Int32

@_extern(wasm, module: "starling_1.0", name: "database_identity") @_extern(c)
func _databaseIdentity(_ out: UnsafeMutablePointer<UInt8>?)

@_extern(wasm, module: "starling_1.0", name: "random_bytes") @_extern(c)
func _randomBytes(_ dst: UnsafeMutableRawPointer?, _ len: UInt32)

/// The ABI's error codes (docs/module-abi.md, "Error codes").
public enum ABIError: Int32, Sendable {
    case ok = 0
    case noSuchTable = 1
    case noSuchIndex = 2
    case noSuchIter = 3
    case bsatnDecode = 4
    case uniqueViolation = 5
    case notFound = 6
    case bufferTooSmall = 7
    case exhausted = 8
    case notInTransaction = 9
    case sequenceExhausted = 10
    case indexNotUnique = 11
    case wrongIndexKind = 12
    case notDescribing = 13
    case invalidItem = 14
    case systemTable = 15
    case limitExceeded = 16
    case unknown = -1

    init(code: Int32) { self = ABIError(rawValue: code) ?? .unknown }

    /// A sentence for error messages.
    public var explanation: String {
        switch self {
        case .ok: "ok"
        case .noSuchTable: "no such table"
        case .noSuchIndex: "no such index"
        case .noSuchIter: "no such row iterator"
        case .bsatnDecode: "the host could not decode the row or key"
        case .uniqueViolation: "a row with the same unique key already exists"
        case .notFound: "no row with that key"
        case .bufferTooSmall: "buffer too small"
        case .exhausted: "iterator exhausted"
        case .notInTransaction: "not inside a reducer call"
        case .sequenceExhausted: "the auto-increment sequence is exhausted"
        case .indexNotUnique: "the index is not unique"
        case .wrongIndexKind: "range operations need a btree index"
        case .notDescribing: "not describing the module"
        case .invalidItem: "invalid schema item"
        case .systemTable: "system tables are read-only"
        case .limitExceeded: "a host limit was exceeded"
        case .unknown: "unknown host error"
        }
    }
}

/// Calls `body` with the UTF-8 bytes of `s`.
@inline(__always)
func withUTF8<R>(_ s: String, _ body: (UnsafePointer<UInt8>?, UInt32) -> R) -> R {
    var s = s
    return s.withUTF8 { body($0.baseAddress, UInt32($0.count)) }
}
