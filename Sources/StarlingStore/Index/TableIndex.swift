import StarlingTypes

/// One index of a table: extracts a key from each row and maps keys to row ids.
///
/// Single-column keys of integer-like types up to 64 bits use a compact `UInt64` key; every other
/// key (strings, wide integers, floats, identities, several columns) uses the order-preserving
/// ``ByteKey`` encoding. A unique index on a compact key also keeps a ``CompactHashMap``: point
/// lookups and uniqueness checks (the hot paths of primary keys) cost one hash probe instead of a
/// tree descent; the btree serves ranges.
final class TableIndex {
    let id: IndexId
    let schema: IndexSchema
    let columnTypes: [AlgebraicType]
    private let layout: RowLayout
    let storage: Storage
    let isUnique: Bool
    /// Whether keys are compact `UInt64`s (one integer-like column).
    let usesU64: Bool
    /// Type and position of the first key column (the only one for compact keys).
    private let firstColumn: Int
    private let firstType: AlgebraicType
    /// The compact kind of the key column (meaningful when `usesU64`).
    private let compactKind: CompactKeyKind
    /// Byte offset of the first key column when it is fixed, else -1.
    private let firstFixedOffset: Int
    /// For compact keys: the column's BSATN width and whether it is a bool (bytes must be 0/1).
    private let compactWidth: Int
    private let compactIsBool: Bool
    /// The compact storages, unwrapped once (the hot lookup path avoids switching on `storage`).
    /// Unmanaged: `storage` and `uniqueMapOwner` keep them alive for the index's lifetime, and
    /// the hot paths (`_withUnsafeGuaranteedRef`) then pay no reference counting.
    private let compactTree: Unmanaged<BTree<UInt64, RowId>>?
    private let compactHash: Unmanaged<HashIndexMap<UInt64>>?
    /// Key → row for unique indexes on compact keys.
    private let uniqueMap: Unmanaged<CompactHashMap>?
    private let uniqueMapOwner: CompactHashMap?

    enum Storage {
        case btreeU64(BTree<UInt64, RowId>)
        case btreeBytes(BTree<ByteKey, RowId>)
        case hashU64(HashIndexMap<UInt64>)
        case hashBytes(HashIndexMap<ByteKey>)
        /// A unique hash index on a compact key: only the ``uniqueMap``.
        case uniqueHashU64(CompactHashMap)
    }

    /// A normalized key.
    enum Key: Hashable {
        case u64(UInt64)
        case bytes(ByteKey)
    }

    init(id: IndexId, schema: IndexSchema, layout: RowLayout) {
        self.id = id
        self.schema = schema
        self.layout = layout
        columnTypes = schema.columns.map { layout.rowType.fields[$0].type }
        let kind = columnTypes.count == 1 ? CompactKeyKind(columnTypes[0]) : nil
        let compact = kind != nil
        compactKind = kind ?? .u64
        isUnique = schema.isUnique
        usesU64 = compact
        firstColumn = schema.columns[0]
        firstType = columnTypes[0]
        firstFixedOffset = layout.fixedOffsets[firstColumn] ?? -1
        compactWidth = compact ? compactKind.width : 0
        compactIsBool = columnTypes[0] == .bool
        let map = compact && schema.isUnique ? CompactHashMap() : nil
        uniqueMap = map.map { Unmanaged.passUnretained($0) }
        uniqueMapOwner = map
        switch (schema.algorithm, compact) {
        case (.btree, true): storage = .btreeU64(BTree())
        case (.btree, false): storage = .btreeBytes(BTree())
        case (.hash, true): storage = map.map { .uniqueHashU64($0) } ?? .hashU64(HashIndexMap())
        case (.hash, false): storage = .hashBytes(HashIndexMap())
        }
        if case .btreeU64(let t) = storage { compactTree = .passUnretained(t) } else { compactTree = nil }
        if case .hashU64(let m) = storage { compactHash = .passUnretained(m) } else { compactHash = nil }
    }

    /// The compact key encoded by `bsatn` when this index uses compact keys and the bytes are one
    /// valid value of the key column; nil otherwise (callers then take the general path).
    @inline(__always) func compactKey(fromBSATN bsatn: UnsafeRawBufferPointer) -> UInt64? {
        guard usesU64, bsatn.count == compactWidth, !(compactIsBool && bsatn[0] > 1) else { return nil }
        return KeyEncoder.u64Key(compactKind, bsatn, at: 0)
    }

    /// Any row stored under a compact key.
    @inline(__always) func first(compact key: UInt64) -> RowId? {
        if let m = uniqueMap { return m._withUnsafeGuaranteedRef { $0.get(key) } }
        if let t = compactTree { return t._withUnsafeGuaranteedRef { $0.first(key) } }
        return compactHash.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.first(key) }
    }

    // MARK: keys

    /// The key of a stored (valid) row.
    @inline(__always) func key(ofRow row: UnsafeRawBufferPointer) -> Key {
        if usesU64 {
            let offset = firstFixedOffset >= 0 ? firstFixedOffset : layout.offset(of: firstColumn, in: row)
            return .u64(KeyEncoder.u64Key(compactKind, row, at: offset))
        }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for (i, c) in schema.columns.enumerated() {
            var r = BSATNReader(row, position: layout.offset(of: c, in: row))
            try! KeyEncoder.append(columnTypes[i], from: &r, to: &out)
        }
        return .bytes(ByteKey(bytes: out))
    }

    /// The key (or key prefix) encoded by `bsatn`: the BSATN of the first `columnCount` key columns
    /// concatenated. Fails if the bytes are not exactly such values.
    func key(fromBSATN bsatn: UnsafeRawBufferPointer, columnCount: Int) throws(StoreError) -> Key {
        guard columnCount <= columnTypes.count else {
            throw StoreError(.invalidBound, "index `\(schema.name)` has \(columnTypes.count) columns, the key gives \(columnCount)")
        }
        do throws(BSATNError) {
            var r = BSATNReader(bsatn)
            if usesU64 {
                guard columnCount == 1 else {
                    throw BSATNError(.typeMismatch, "a key of index `\(schema.name)` has exactly one column", offset: 0)
                }
                try r.skip(firstType)
                try r.expectEnd()
                return .u64(KeyEncoder.u64Key(compactKind, bsatn, at: 0))
            }
            var out: [UInt8] = []
            for t in columnTypes.prefix(columnCount) { try KeyEncoder.append(t, from: &r, to: &out) }
            try r.expectEnd()
            return .bytes(ByteKey(bytes: out))
        } catch {
            let types = columnTypes.prefix(columnCount).map(\.description).joined(separator: ", ")
            throw StoreError(.typeMismatch, "key for index `\(schema.name)` does not match (\(types)): \(error.message)")
        }
    }

    // MARK: maintenance

    /// Fills this empty index with every (compact key, row) pair of its table at once (bulk
    /// loads): the unique map in one sweep sorted by home slot, a btree built bottom-up from the
    /// pairs sorted (they often already are). Returns false, leaving the index unusable, if a
    /// unique key repeats.
    func bulkFill(_ pairs: inout [(key: UInt64, value: RowId)]) -> Bool {
        precondition(usesU64 && count == 0, "bulk fill of a non-empty index")
        if let m = uniqueMapOwner, pairs.withUnsafeBufferPointer({ m.bulkInsert($0) }) != nil { return false }
        switch storage {
        case .uniqueHashU64: return true
        case .btreeU64(let t):
            Self.sortPairs(&pairs)
            pairs.withUnsafeBufferPointer { t.bulkLoad(sorted: $0) }
        case .hashU64(let m):
            for p in pairs { m.insert(p.key, p.value) }
        default: preconditionFailure("index key kind mismatch")
        }
        return true
    }

    /// ``bulkFill(_:)`` for indexes on byte keys.
    func bulkFill(_ pairs: inout [(key: ByteKey, value: RowId)]) -> Bool {
        precondition(!usesU64 && count == 0, "bulk fill of a non-empty index")
        switch storage {
        case .btreeBytes(let t):
            Self.sortPairs(&pairs)
            if isUnique, pairs.indices.dropFirst().contains(where: { pairs[$0 - 1].key == pairs[$0].key }) { return false }
            pairs.withUnsafeBufferPointer { t.bulkLoad(sorted: $0) }
        case .hashBytes(let m):
            for p in pairs {
                if isUnique, m.first(p.key) != nil { return false }
                m.insert(p.key, p.value)
            }
        default: preconditionFailure("index key kind mismatch")
        }
        return true
    }

    /// Sorts (key, row) pairs unless they already are (rows stored in key order are common).
    private static func sortPairs<K: Comparable>(_ pairs: inout [(key: K, value: RowId)]) {
        func less(_ a: (key: K, value: RowId), _ b: (key: K, value: RowId)) -> Bool {
            a.key < b.key || (a.key == b.key && a.value < b.value)
        }
        let sorted = pairs.withUnsafeBufferPointer { p in
            p.indices.dropFirst().allSatisfy { less(p[$0 - 1], p[$0]) }
        }
        if !sorted { pairs.sort(by: less) }
    }

    /// Makes room for `total` keys in the unique hash map (bulk loads).
    func reserve(_ total: Int) { uniqueMapOwner?.reserve(total) }

    /// Whether uniqueness is enforced by claiming keys in the hash map (``claim(_:_:)``).
    var claimsKeys: Bool { uniqueMap != nil }

    /// Starts loading the hash slot the key of `row` will claim.
    @inline(__always) func prefetchClaim(_ row: UnsafeRawBufferPointer) {
        if let m = uniqueMap, case .u64(let k) = key(ofRow: row) { m._withUnsafeGuaranteedRef { $0.prefetch(k) } }
    }

    /// Maps `key` to `id` in the unique hash map unless the key is taken; returns the holder.
    @inline(__always) func claim(_ key: Key, _ id: RowId) -> RowId? {
        guard let m = uniqueMap, case .u64(let k) = key else { return nil }
        return m._withUnsafeGuaranteedRef { $0.insertIfAbsent(k, id) }
    }

    /// Undoes a successful ``claim(_:_:)``.
    func unclaim(_ key: Key, _ id: RowId) {
        if let m = uniqueMapOwner, case .u64(let k) = key { m.remove(k, id) }
    }

    func insert(_ key: Key, _ id: RowId) {
        if let m = uniqueMap, case .u64(let k) = key { m._withUnsafeGuaranteedRef { _ = $0.insertIfAbsent(k, id) } }
        insertOrdered(key, id)
    }

    /// Adds the entry to the index's main storage (not the unique hash map).
    @inline(__always) func insertOrdered(_ key: Key, _ id: RowId) {
        if let t = compactTree, case .u64(let k) = key {
            t._withUnsafeGuaranteedRef { _ = $0.insert(k, id) }
            return
        }
        insertOrderedGeneral(key, id)
    }

    private func insertOrderedGeneral(_ key: Key, _ id: RowId) {
        switch (storage, key) {
        case (.uniqueHashU64, _): break
        case (.btreeU64(let t), .u64(let k)): t.insert(k, id)
        case (.btreeBytes(let t), .bytes(let k)): t.insert(k, id)
        case (.hashU64(let m), .u64(let k)): m.insert(k, id)
        case (.hashBytes(let m), .bytes(let k)): m.insert(k, id)
        default: preconditionFailure("index key kind mismatch")
        }
    }

    func remove(_ key: Key, _ id: RowId) {
        if let m = uniqueMap, case .u64(let k) = key { m._withUnsafeGuaranteedRef { _ = $0.remove(k, id) } }
        removeOrdered(key, id)
    }

    /// Points the entry of `key`, held by row `old`, at row `new`: for a unique index whose key
    /// did not change when `old` was replaced by `new`. One probe and one descent instead of a
    /// removal and an insertion (which may rebalance and shift).
    func replace(_ key: Key, _ old: RowId, with new: RowId) {
        precondition(isUnique, "replace needs a unique index")
        if let m = uniqueMap, case .u64(let k) = key {
            m._withUnsafeGuaranteedRef { precondition($0.replace(k, old, with: new), "replaced key not in the index") }
        }
        switch (storage, key) {
        case (.uniqueHashU64, _): break
        case (.btreeU64(let t), .u64(let k)):
            if !t.replaceValue(k, old, with: new) {
                t.remove(k, old)
                t.insert(k, new)
            }
        case (.btreeBytes(let t), .bytes(let k)):
            if !t.replaceValue(k, old, with: new) {
                t.remove(k, old)
                t.insert(k, new)
            }
        case (.hashU64(let m), .u64(let k)):
            m.remove(k, old)
            m.insert(k, new)
        case (.hashBytes(let m), .bytes(let k)):
            m.remove(k, old)
            m.insert(k, new)
        default: preconditionFailure("index key kind mismatch")
        }
    }

    /// Removes the entry from the index's main storage (not the unique hash map).
    func removeOrdered(_ key: Key, _ id: RowId) {
        switch (storage, key) {
        case (.uniqueHashU64, _): break
        case (.btreeU64(let t), .u64(let k)): t.remove(k, id)
        case (.btreeBytes(let t), .bytes(let k)): t.remove(k, id)
        case (.hashU64(let m), .u64(let k)): m.remove(k, id)
        case (.hashBytes(let m), .bytes(let k)): m.remove(k, id)
        default: preconditionFailure("index key kind mismatch")
        }
    }

    /// Any row stored under exactly `key`.
    @inline(__always) func first(_ key: Key) -> RowId? {
        if let m = uniqueMap, case .u64(let k) = key { return m._withUnsafeGuaranteedRef { $0.get(k) } }
        return switch (storage, key) {
        case (.btreeU64(let t), .u64(let k)): t.first(k)
        case (.btreeBytes(let t), .bytes(let k)): t.first(k)
        case (.hashU64(let m), .u64(let k)): m.first(k)
        case (.hashBytes(let m), .bytes(let k)): m.first(k)
        default: nil
        }
    }

    func removeAll() {
        uniqueMapOwner?.removeAll()
        switch storage {
        case .uniqueHashU64: break
        case .btreeU64(let t): t.removeAll()
        case .btreeBytes(let t): t.removeAll()
        case .hashU64(let m): m.removeAll()
        case .hashBytes(let m): m.removeAll()
        }
    }

    // MARK: scans

    /// Calls `body` for each row whose key equals `key` (for a btree on several columns, `key` may
    /// be a prefix: every row whose key starts with it).
    func forEach<E: Error>(equalTo key: Key, _ body: (RowId) throws(E) -> Bool) throws(E) {
        if let m = uniqueMapOwner, case .u64(let k) = key {
            if let id = m.get(k) { _ = try body(id) }
            return
        }
        switch (storage, key) {
        case (.btreeU64(let t), .u64(let k)):
            try t.forEach(from: .included(k), to: .included(k)) { (_, id) throws(E) in try body(id) }
        case (.btreeBytes, .bytes):
            try forEach(from: .included(key), to: .included(key), body)
        case (.hashU64(let m), .u64(let k)): try m.forEach(equalTo: k, body)
        case (.hashBytes(let m), .bytes(let k)): try m.forEach(equalTo: k, body)
        default: return
        }
    }

    /// Calls `body` for each row with a key between the bounds, ascending (btree indexes only).
    /// Bounds on a multi-column index may be prefixes: `included(p)` as a lower bound starts at the
    /// first key beginning with `p`; as an upper bound it ends after the last such key.
    func forEach<E: Error>(from lower: KeyBound, to upper: KeyBound, _ body: (RowId) throws(E) -> Bool) throws(E) {
        switch storage {
        case .btreeU64(let t):
            try t.forEach(from: lower.u64Bound, to: upper.u64Bound) { (_, id) throws(E) in try body(id) }
        case .btreeBytes(let t):
            let lo: BTreeBound<ByteKey>
            switch lower {
            case .unbounded: lo = .unbounded
            case .included(let k): lo = .included(k.byteKey)
            case .excluded(let k):
                guard let s = k.byteKey.prefixSuccessor else { return }
                lo = .included(s)
            }
            let hi: BTreeBound<ByteKey>
            switch upper {
            case .unbounded: hi = .unbounded
            case .included(let k): hi = k.byteKey.prefixSuccessor.map { .excluded($0) } ?? .unbounded
            case .excluded(let k): hi = .excluded(k.byteKey)
            }
            try t.forEach(from: lo, to: hi) { (_, id) throws(E) in try body(id) }
        case .hashU64, .hashBytes, .uniqueHashU64:
            preconditionFailure("range scan on a hash index")
        }
    }

    /// Number of entries.
    var count: Int {
        switch storage {
        case .btreeU64(let t): t.count
        case .btreeBytes(let t): t.count
        case .hashU64(let m): m.count
        case .hashBytes(let m): m.count
        case .uniqueHashU64(let m): m.count
        }
    }
}

/// A bound of an index range scan, in normalized keys.
enum KeyBound {
    case unbounded
    case included(TableIndex.Key)
    case excluded(TableIndex.Key)

    var u64Bound: BTreeBound<UInt64> {
        switch self {
        case .unbounded: .unbounded
        case .included(.u64(let k)): .included(k)
        case .excluded(.u64(let k)): .excluded(k)
        default: .unbounded
        }
    }
}

extension TableIndex.Key {
    var byteKey: ByteKey {
        if case .bytes(let b) = self { return b }
        preconditionFailure("expected a byte key")
    }
}
