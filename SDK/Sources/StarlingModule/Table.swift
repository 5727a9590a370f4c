/// A struct stored as the rows of a table. `@Table` writes this conformance; the members starting
/// with `__` are the SDK's plumbing.
public protocol TableRow: BSATNCodable {
    /// The typed handle (`ctx.db[Self.self]`): table operations plus one accessor per index.
    associatedtype Handle: TableHandle where Handle.Row == Self
    /// The table's name in the database.
    static var tableName: String { get }
    /// The table's id in the current module instance (looked up once, then cached).
    static var __tableID: UInt32 { get }
}

/// The operations every table has. `@Table` generates a conforming `Handle` that adds its
/// indexes (`.id.find(...)`, `.name.filter(...)`).
public protocol TableHandle {
    associatedtype Row: TableRow
    init()
}

extension TableHandle {
    /// Number of rows.
    public var count: UInt64 {
        var n: UInt64 = 0
        check(_tableRowCount(Row.__tableID, &n), "count rows of")
        return n
    }

    /// Inserts `row` and returns it as stored: auto-increment columns that were zero now hold
    /// their generated values.
    @discardableResult
    public func insert(_ row: Row) throws(ReducerError) -> Row {
        var stored: Row?
        let code = Scratch.bytes(of: row) { bytes in
            let code = _insert(Row.__tableID, bytes.baseAddress, UInt32(bytes.count))
            if code == 0 { stored = try? Row(bsatn: UnsafeRawBufferPointer(bytes)) }
            return code
        }
        if code != 0 { throw ReducerError.host(code, "insert into", Row.tableName) }
        guard let stored else { hostFailure(ABIError.bsatnDecode.rawValue, "decode the row inserted into", Row.tableName) }
        return stored
    }

    /// Every row (in no particular order).
    public func iter() -> RowIterator<Row> {
        var iter: UInt32 = 0
        check(_tableScan(Row.__tableID, &iter), "scan")
        return RowIterator(handle: iter)
    }

    /// Deletes one row equal to `row`; false if there is none.
    @discardableResult
    public func delete(_ row: Row) -> Bool {
        var n: UInt32 = 0
        let bytes = row.bsatn
        check(bytes.withUnsafeBufferPointer { _deleteByRow(Row.__tableID, $0.baseAddress, UInt32($0.count), &n) }, "delete from")
        return n > 0
    }

    /// Deletes every row; returns how many there were.
    @discardableResult
    public func clear() -> UInt32 {
        var n: UInt32 = 0
        check(_tableClear(Row.__tableID, &n), "clear")
        return n
    }

    func check(_ code: Int32, _ what: StaticString) {
        if code != 0 { hostFailure(code, what, Row.tableName) }
    }
}

/// Rows from a scan or an index lookup, fetched from the host in batches.
public struct RowIterator<Row: BSATNCodable>: IteratorProtocol, Sequence {
    private var handle: UInt32
    private var buffer: [UInt8] = []
    private var position = 0
    private var filled = 0
    private var done = false

    init(handle: UInt32) { self.handle = handle }

    public mutating func next() -> Row? {
        while position >= filled {
            if done { return nil }
            fetch()
        }
        let row: Row? = buffer.withUnsafeBytes { buf in
            var r = BSATNReader(UnsafeRawBufferPointer(rebasing: buf[..<filled]), position: position)
            guard let row = try? Row(bsatn: &r) else { return nil }
            position = r.position
            return row
        }
        guard let row else { hostFailure(ABIError.bsatnDecode.rawValue, "read a row of a scan") }
        return row
    }

    private mutating func fetch() {
        if buffer.isEmpty { buffer = [UInt8](repeating: 0, count: 4096) }
        var len = UInt32(buffer.count)
        let code = buffer.withUnsafeMutableBufferPointer { _rowIterNext(handle, $0.baseAddress, &len) }
        switch ABIError(code: code) {
        case .ok: break
        case .exhausted: done = true
        case .bufferTooSmall:
            buffer = [UInt8](repeating: 0, count: Swift.max(Int(len), buffer.count * 2))
            position = 0
            filled = 0
            return
        default: hostFailure(code, "read rows")
        }
        position = 0
        filled = Int(len)
    }

    /// Collects the remaining rows (consumes the iterator).
    public func collect() -> [Row] {
        var it = self
        var out: [Row] = []
        while let r = it.next() { out.append(r) }
        return out
    }
}

func decodeRow<Row: BSATNCodable>(_ bytes: [UInt8]) -> Row {
    guard let row = try? Row(bsatn: bytes) else { hostFailure(ABIError.bsatnDecode.rawValue, "decode a stored row") }
    return row
}

/// A host error the module cannot recover from (the SDK and host disagree): traps, which rolls the
/// reducer back; the message goes to the module log first. Messages are built here, out of line,
/// so hot callers do not carry string-formatting code and stack space on their success path.
@inline(never)
func hostFailure(_ code: Int32, _ what: StaticString, _ object: String? = nil) -> Never {
    let target = object.map { " `\($0)`" } ?? ""
    Log.error("could not \(what)\(target): \(ABIError(code: code).explanation) (code \(code))")
    fatalError("host call failed")
}

extension ReducerError {
    @inline(never)
    static func host(_ code: Int32, _ what: StaticString, _ object: String? = nil) -> ReducerError {
        let target = object.map { " `\($0)`" } ?? ""
        return ReducerError("could not \(what)\(target): \(ABIError(code: code).explanation)")
    }
}

/// Looks up a table id by name (the macros cache the result per table).
public func __starlingTableID(_ name: String) -> UInt32 {
    var id: UInt32 = 0
    let code = withUTF8(name) { _tableIDFromName($0, $1, &id) }
    if code != 0 { hostFailure(code, "find table", name) }
    return id
}

/// Looks up an index id by name (the macros cache the result per index).
public func __starlingIndexID(_ name: String) -> UInt32 {
    var id: UInt32 = 0
    let code = withUTF8(name) { _indexIDFromName($0, $1, &id) }
    if code != 0 { hostFailure(code, "find index", name) }
    return id
}
