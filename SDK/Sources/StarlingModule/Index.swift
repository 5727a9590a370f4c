/// A unique index (primary key or `@Unique` column): find, update and delete by key.
public struct UniqueIndex<Row: TableRow, Key: BSATNCodable> {
    public let indexID: UInt32
    public let name: String
    public init(indexID: UInt32, name: String) {
        self.indexID = indexID
        self.name = name
    }

    /// The row whose key is `key`, if any (one host call).
    public func find(_ key: Key) -> Row? {
        var capacity = 512
        while true {
            let buf = Scratch.rows(atLeast: capacity)
            var len = UInt32(buf.count)
            let code = Scratch.bytes(of: key) { k in
                _indexFind(indexID, k.baseAddress, UInt32(k.count), buf.baseAddress?.assumingMemoryBound(to: UInt8.self), &len)
            }
            switch ABIError(code: code) {
            case .ok:
                var r = BSATNReader(UnsafeRawBufferPointer(rebasing: buf[..<Int(len)]))
                guard let row = try? Row(bsatn: &r) else { hostFailure(ABIError.bsatnDecode.rawValue, "decode a row of", name) }
                return row
            case .notFound: return nil
            case .bufferTooSmall: capacity = Int(len)
            default: hostFailure(code, "look up index", name)
            }
        }
    }

    /// Replaces the row that has `row`'s key with `row` and returns it.
    /// Throws if no row has that key, or if another unique index would be violated.
    @discardableResult
    public func update(_ row: Row) throws(ReducerError) -> Row {
        let code = Scratch.bytes(of: row) { _updateByIndex(indexID, $0.baseAddress, UInt32($0.count)) }
        if code != 0 { throw ReducerError.host(code, "update by index", name) }
        return row
    }

    /// Deletes the row whose key is `key`; false if there is none.
    @discardableResult
    public func delete(_ key: Key) -> Bool { deletePoint(indexID, key, name) > 0 }
}

/// A btree index on a column: rows equal to a key, or in a range of keys.
public struct RangeIndex<Row: TableRow, Key: BSATNCodable & Comparable> {
    public let indexID: UInt32
    public let name: String
    public init(indexID: UInt32, name: String) {
        self.indexID = indexID
        self.name = name
    }

    /// Rows whose key equals `key`.
    public func filter(_ key: Key) -> RowIterator<Row> { scanPoint(indexID, key, name, Row.self) }
    /// Rows whose key is in `range`.
    public func filter(_ range: ClosedRange<Key>) -> RowIterator<Row> { scan(.included(range.lowerBound), .included(range.upperBound)) }
    public func filter(_ range: Range<Key>) -> RowIterator<Row> { scan(.included(range.lowerBound), .excluded(range.upperBound)) }
    public func filter(_ range: PartialRangeFrom<Key>) -> RowIterator<Row> { scan(.included(range.lowerBound), .unbounded) }
    public func filter(_ range: PartialRangeThrough<Key>) -> RowIterator<Row> { scan(.unbounded, .included(range.upperBound)) }
    public func filter(_ range: PartialRangeUpTo<Key>) -> RowIterator<Row> { scan(.unbounded, .excluded(range.upperBound)) }

    /// Deletes rows whose key equals `key`; returns how many.
    @discardableResult
    public func delete(_ key: Key) -> UInt32 { deletePoint(indexID, key, name) }
    /// Deletes rows whose key is in `range`; returns how many.
    @discardableResult
    public func delete(_ range: ClosedRange<Key>) -> UInt32 { deleteRange(.included(range.lowerBound), .included(range.upperBound)) }
    @discardableResult
    public func delete(_ range: Range<Key>) -> UInt32 { deleteRange(.included(range.lowerBound), .excluded(range.upperBound)) }

    private func scan(_ lower: KeyBound<Key>, _ upper: KeyBound<Key>) -> RowIterator<Row> {
        let lo = lower.bsatn, hi = upper.bsatn
        var iter: UInt32 = 0
        let code = lo.withUnsafeBufferPointer { l in
            hi.withUnsafeBufferPointer { h in
                _indexScanRange(indexID, l.baseAddress, UInt32(l.count), h.baseAddress, UInt32(h.count), &iter)
            }
        }
        if code != 0 { hostFailure(code, "scan index", name) }
        return RowIterator(handle: iter)
    }

    private func deleteRange(_ lower: KeyBound<Key>, _ upper: KeyBound<Key>) -> UInt32 {
        let lo = lower.bsatn, hi = upper.bsatn
        var n: UInt32 = 0
        let code = lo.withUnsafeBufferPointer { l in
            hi.withUnsafeBufferPointer { h in
                _deleteByIndexRange(indexID, l.baseAddress, UInt32(l.count), h.baseAddress, UInt32(h.count), &n)
            }
        }
        if code != 0 { hostFailure(code, "delete by index", name) }
        return n
    }
}

/// A hash index on a column: rows equal to a key.
public struct HashIndex<Row: TableRow, Key: BSATNCodable> {
    public let indexID: UInt32
    public let name: String
    public init(indexID: UInt32, name: String) {
        self.indexID = indexID
        self.name = name
    }

    /// Rows whose key equals `key`.
    public func filter(_ key: Key) -> RowIterator<Row> { scanPoint(indexID, key, name, Row.self) }
    /// Deletes rows whose key equals `key`; returns how many.
    @discardableResult
    public func delete(_ key: Key) -> UInt32 { deletePoint(indexID, key, name) }
}

/// One end of a key range, encoded as the ABI's bound (tag, then the key).
enum KeyBound<Key: BSATNCodable> {
    case included(Key), excluded(Key), unbounded

    var bsatn: [UInt8] {
        var w = BSATNWriter()
        switch self {
        case .included(let k):
            w.write(UInt8(0))
            k.encode(to: &w)
        case .excluded(let k):
            w.write(UInt8(1))
            k.encode(to: &w)
        case .unbounded: w.write(UInt8(2))
        }
        return w.bytes
    }
}

func scanPoint<Key: BSATNCodable, Row: BSATNCodable>(_ index: UInt32, _ key: Key, _ name: String, _: Row.Type) -> RowIterator<Row> {
    let bytes = key.bsatn
    var iter: UInt32 = 0
    let code = bytes.withUnsafeBufferPointer { _indexScanPoint(index, $0.baseAddress, UInt32($0.count), &iter) }
    if code != 0 { hostFailure(code, "look up index", name) }
    return RowIterator(handle: iter)
}

func deletePoint<Key: BSATNCodable>(_ index: UInt32, _ key: Key, _ name: String) -> UInt32 {
    let bytes = key.bsatn
    var n: UInt32 = 0
    let code = bytes.withUnsafeBufferPointer { _deleteByIndexPoint(index, $0.baseAddress, UInt32($0.count), &n) }
    if code != 0 { hostFailure(code, "delete by index", name) }
    return n
}
