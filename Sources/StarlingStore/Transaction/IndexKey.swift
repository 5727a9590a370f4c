public import StarlingTypes

/// A key (or key prefix) of an index: the BSATN of the first `columnCount` key columns, back to back.
public struct IndexKey: Hashable, Sendable {
    public var bsatn: [UInt8]
    public var columnCount: Int

    public init(bsatn: [UInt8], columnCount: Int) {
        self.bsatn = bsatn
        self.columnCount = columnCount
    }

    /// A key from values, one per leading key column.
    public init(_ values: [AlgebraicValue]) {
        var w = BSATNWriter()
        for v in values { v.encode(to: &w) }
        bsatn = w.bytes
        columnCount = values.count
    }

    /// A single-column key.
    public init(_ value: AlgebraicValue) { self.init([value]) }
}

/// A bound of an index range scan.
///
/// On a multi-column btree index a bound may give only a prefix of the columns:
/// `included([a])` as a lower bound starts at the first key whose first column is `a`, as an upper
/// bound it ends after the last such key; `excluded` skips all keys with that prefix.
public enum IndexBound: Hashable, Sendable {
    case unbounded
    case included(IndexKey)
    case excluded(IndexKey)
}
