/// An index declared on the table with `@Table(indexes: [...])`, usually on several columns.
///
/// Module authors do not use this type directly: `@Table` generates a typed accessor per declared
/// index (`ctx.db[Message.self].byOwnerAndSent`) whose methods take the key columns as labeled
/// arguments and call these. A key is the BSATN of the leading key columns, back to back; a key of
/// fewer columns than the index has is a *prefix* and matches every row that starts with it.
public struct CompositeIndex<Row: TableRow> {
    public let indexID: UInt32
    public let name: String
    public init(indexID: UInt32, name: String) {
        self.indexID = indexID
        self.name = name
    }

    /// Rows whose leading key columns equal the key `encodeKey` writes.
    public func scan(_ encodeKey: (inout BSATNWriter) -> Void) -> RowIterator<Row> {
        var iter: UInt32 = 0
        let code = Scratch.encode(encodeKey) { k in _indexScanPoint(indexID, k.baseAddress, UInt32(k.count), &iter) }
        if code != 0 { hostFailure(code, "look up index", name) }
        return RowIterator(handle: iter)
    }

    /// Rows whose leading key columns equal the prefix `encodePrefix` writes (nothing for none) and
    /// whose next key column lies in `range`.
    public func scan<R: IndexRange>(_ encodePrefix: (inout BSATNWriter) -> Void, _ range: R) -> RowIterator<Row> {
        let (lo, hi) = bounds(encodePrefix, range)
        var iter: UInt32 = 0
        let code = lo.withUnsafeBufferPointer { l in
            hi.withUnsafeBufferPointer { h in
                _indexScanRange(indexID, l.baseAddress, UInt32(l.count), h.baseAddress, UInt32(h.count), &iter)
            }
        }
        if code != 0 { hostFailure(code, "scan index", name) }
        return RowIterator(handle: iter)
    }

    /// Deletes the rows whose leading key columns equal the key; returns how many.
    public func delete(_ encodeKey: (inout BSATNWriter) -> Void) -> UInt32 {
        var n: UInt32 = 0
        let code = Scratch.encode(encodeKey) { k in _deleteByIndexPoint(indexID, k.baseAddress, UInt32(k.count), &n) }
        if code != 0 { hostFailure(code, "delete by index", name) }
        return n
    }

    /// Deletes the rows with the prefix whose next key column lies in `range`; returns how many.
    public func delete<R: IndexRange>(_ encodePrefix: (inout BSATNWriter) -> Void, _ range: R) -> UInt32 {
        let (lo, hi) = bounds(encodePrefix, range)
        var n: UInt32 = 0
        let code = lo.withUnsafeBufferPointer { l in
            hi.withUnsafeBufferPointer { h in
                _deleteByIndexRange(indexID, l.baseAddress, UInt32(l.count), h.baseAddress, UInt32(h.count), &n)
            }
        }
        if code != 0 { hostFailure(code, "delete by index", name) }
        return n
    }

    /// The row whose full key equals the key (on a unique index), if any.
    ///
    /// The same loop as `UniqueIndex.find`, on purpose: one shared helper cost the bank transfer
    /// 24 more fuel per call (2,050 → 2,074; Embedded Swift did not inline it), more when failures
    /// were returned to the caller (2,268).
    public func find(_ encodeKey: (inout BSATNWriter) -> Void) -> Row? {
        var capacity = 512
        while true {
            let buf = Scratch.rows(atLeast: capacity)
            var len = UInt32(buf.count)
            let code = Scratch.encode(encodeKey) { k in
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

    /// Replaces the row that has `row`'s key (on a unique index) with `row` and returns it.
    public func update(_ row: Row) throws(ReducerError) -> Row {
        let code = Scratch.bytes(of: row) { _updateByIndex(indexID, $0.baseAddress, UInt32($0.count)) }
        if code != 0 { throw ReducerError.host(code, "update by index", name) }
        return row
    }

    /// The ABI bounds (tag + key) for `prefix` followed by `range` on the next column. An open end
    /// becomes the prefix itself, inclusive: it starts before / ends after every key with the prefix.
    private func bounds<R: IndexRange>(_ encodePrefix: (inout BSATNWriter) -> Void, _ range: R) -> ([UInt8], [UInt8]) {
        var prefix = BSATNWriter()
        encodePrefix(&prefix)
        let p = prefix.bytes
        return (Self.bound(p, range.lowerKeyBound), Self.bound(p, range.upperKeyBound))
    }

    private static func bound<Key: BSATNCodable>(_ prefix: [UInt8], _ b: IndexRangeBound<Key>) -> [UInt8] {
        var w = BSATNWriter(capacity: prefix.count + 17)
        switch b {
        case .included(let k), .excluded(let k):
            if case .included = b { w.write(UInt8(0)) } else { w.write(UInt8(1)) }
            w.writeRaw(prefix)
            k.encode(to: &w)
        case .unbounded:
            if prefix.isEmpty {
                w.write(UInt8(2))
            } else {
                w.write(UInt8(0))
                w.writeRaw(prefix)
            }
        }
        return w.bytes
    }
}

/// One end of an `IndexRange`.
public enum IndexRangeBound<Key> {
    case included(Key)
    case excluded(Key)
    case unbounded
}

/// A range of one key column's values that a btree index can scan: `a...b`, `a..<b`, `a...`,
/// `...b` and `..<b`.
public protocol IndexRange<Bound> {
    associatedtype Bound: BSATNCodable
    /// Where the range starts.
    var lowerKeyBound: IndexRangeBound<Bound> { get }
    /// Where the range ends.
    var upperKeyBound: IndexRangeBound<Bound> { get }
}

extension ClosedRange: IndexRange where Bound: BSATNCodable {
    public var lowerKeyBound: IndexRangeBound<Bound> { .included(lowerBound) }
    public var upperKeyBound: IndexRangeBound<Bound> { .included(upperBound) }
}

extension Range: IndexRange where Bound: BSATNCodable {
    public var lowerKeyBound: IndexRangeBound<Bound> { .included(lowerBound) }
    public var upperKeyBound: IndexRangeBound<Bound> { .excluded(upperBound) }
}

extension PartialRangeFrom: IndexRange where Bound: BSATNCodable {
    public var lowerKeyBound: IndexRangeBound<Bound> { .included(lowerBound) }
    public var upperKeyBound: IndexRangeBound<Bound> { .unbounded }
}

extension PartialRangeThrough: IndexRange where Bound: BSATNCodable {
    public var lowerKeyBound: IndexRangeBound<Bound> { .unbounded }
    public var upperKeyBound: IndexRangeBound<Bound> { .included(upperBound) }
}

extension PartialRangeUpTo: IndexRange where Bound: BSATNCodable {
    public var lowerKeyBound: IndexRangeBound<Bound> { .unbounded }
    public var upperKeyBound: IndexRangeBound<Bound> { .excluded(upperBound) }
}

/// The value of `@Table(indexes:)`: an index on one or more columns, named by its accessor.
/// Only the `@Table` macro reads it (at compile time).
///
///     @Table(indexes: [.btree("byOwnerAndSent", columns: ["owner", "sent"])])
///     struct Message { ... }
///
///     ctx.db[Message.self].byOwnerAndSent.filter(owner: me, sent: start...)
public struct IndexDeclaration {
    /// A btree index: equality on the full key or on a prefix of it, and ranges on the column
    /// after a prefix. `unique: true` also makes the columns together a unique key (`find`,
    /// `update`, `delete` by the full key).
    public static func btree(_ name: String, columns: [String], unique: Bool = false) -> IndexDeclaration {
        IndexDeclaration()
    }

    /// A hash index: equality on the full key only.
    public static func hash(_ name: String, columns: [String]) -> IndexDeclaration { IndexDeclaration() }
}
