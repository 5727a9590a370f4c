import StarlingTypes

/// A list of rows in BSATN, packed into one buffer (two allocations per list, not one per row).
public struct RowList: Sendable, Hashable, RandomAccessCollection {
    /// All rows' bytes back to back.
    public private(set) var bytes: [UInt8] = []
    /// `ends[i]` is the end offset of row `i` in `bytes`.
    public private(set) var ends: [UInt32] = []

    public init() {}

    /// An empty list with room for `rows` rows of `bytes` bytes in total (no regrowth while
    /// appending them).
    public init(reservingBytes bytes: Int, rows: Int) {
        self.bytes.reserveCapacity(bytes)
        ends.reserveCapacity(rows)
    }

    public init(_ rows: [[UInt8]]) {
        for r in rows { append(r) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { ends.count }

    /// The bytes of row `i`.
    public subscript(i: Int) -> ArraySlice<UInt8> {
        let (start, end) = bounds(i)
        return bytes[start..<end]
    }

    /// Start and end offsets of row `i` in ``bytes``.
    @inline(__always) public func bounds(_ i: Int) -> (start: Int, end: Int) {
        (i == 0 ? 0 : Int(ends[i - 1]), Int(ends[i]))
    }

    public mutating func append(_ row: some Collection<UInt8>) {
        bytes.append(contentsOf: row)
        ends.append(UInt32(bytes.count))
    }

    public mutating func append(_ row: UnsafeRawBufferPointer) {
        bytes.append(bytes: row)
        ends.append(UInt32(bytes.count))
    }

    mutating func removeAll(keepingCapacity: Bool) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        ends.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Every row as its own array.
    public var arrays: [[UInt8]] { map { Array($0) } }
}

/// The rows one transaction inserted into and deleted from one table.
public struct TableDelta: Sendable, Hashable {
    public var tableId: UInt32
    public var tableName: String
    public var inserts: RowList
    public var deletes: RowList

    public init(tableId: UInt32, tableName: String, inserts: RowList = RowList(), deletes: RowList = RowList()) {
        self.tableId = tableId
        self.tableName = tableName
        self.inserts = inserts
        self.deletes = deletes
    }
}

/// What a committed transaction changed: per table, the rows inserted and deleted (BSATN).
///
/// A row inserted and deleted in the same transaction appears in neither list; a row deleted and
/// re-inserted with identical bytes also cancels out. Tables appear in id order.
public struct TxDelta: Sendable, Hashable {
    public var tables: [TableDelta]
    public init(tables: [TableDelta] = []) { self.tables = tables }

    public var isEmpty: Bool { tables.isEmpty }

    /// The delta of one table, if the transaction touched it.
    public subscript(table name: String) -> TableDelta? { tables.first { $0.tableName == name } }
}
