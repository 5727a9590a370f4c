import StarlingTypes
import Testing

@testable import StarlingStore

/// One kind of index key, with keys stored in the test table and keys used only as probes.
struct KeyCase: Sendable, CustomTestStringConvertible {
    var name: String
    var types: [AlgebraicType]
    /// Keys stored in the table, in ascending order (equal neighbours allowed: -0.0, 0.0).
    var keys: [[AlgebraicValue]]
    /// Keys absent from the table, used for lookups and as range bounds.
    var probes: [[AlgebraicValue]] = []
    /// Key prefixes (multi-column only) used for lookups and as range bounds.
    var prefixes: [[AlgebraicValue]] = []
    /// Keys whose BSATN does not fit the key type.
    var wrongKeys: [IndexKey]
    var testDescription: String { name }

    static func single(
        _ name: String, _ type: AlgebraicType, _ keys: [AlgebraicValue], probes: [AlgebraicValue], wrong: [AlgebraicValue]
    ) -> KeyCase {
        KeyCase(
            name: name, types: [type], keys: keys.map { [$0] }, probes: probes.map { [$0] }, wrongKeys: wrong.map { IndexKey($0) }
        )
    }

    static func identity(_ l: (UInt64, UInt64, UInt64, UInt64)) -> AlgebraicValue { .identity(Identity(limbs: l)) }

    static let all: [KeyCase] = [
        .single(
            "u64", .u64, [0, 1, 2, 255, 256, 1 << 32, UInt64.max - 1, UInt64.max].map { .u64($0) },
            probes: [3, 1000, 1 << 40].map { .u64($0) }, wrong: [.u32(1), .string("x"), .u128(1)]),
        .single(
            "i64", .i64, [Int64.min, -(1 << 40), -256, -1, 0, 1, 255, Int64.max].map { .i64($0) },
            probes: [-2, 2, -1000, Int64.min + 1].map { .i64($0) }, wrong: [.i32(-1), .string("")]),
        .single(
            "i32", .i32, [Int32.min, -70000, -2, -1, 0, 1, 70000, Int32.max].map { .i32($0) },
            probes: [-3, 5, Int32.max - 1].map { .i32($0) }, wrong: [.i64(1), .u8(1)]),
        .single("bool", .bool, [.bool(false), .bool(true)], probes: [], wrong: [.u8(2), .u32(1)]),
        .single(
            "string", .string, ["", "\0", "a", "a\0", "a\0b", "ab", "b", "é", "😀"].map { .string($0) },
            probes: ["A", "a\0\0", "aa", "zzz"].map { .string($0) }, wrong: [.u64(1), .bool(true)]),
        .single(
            "f64", .f64,
            [
                -.infinity, -1e300, -1.5, -Double.leastNonzeroMagnitude, -0.0, 0.0, Double.leastNonzeroMagnitude, 1.5, 1e300,
                .infinity,
            ]
            .map { .f64($0) },
            probes: [-2.0, -1e-300, 1.0, 2e300].map { .f64($0) }, wrong: [.f32(1), .string("x")]),
        .single(
            "identity", .identity,
            [(0, 0, 0, 0), (5, 0, 0, 0), (0, 1, 0, 0), (0, 0, 0, 1), (UInt64.max, 0, 0, 1), (0, 0, 0, UInt64.max)].map(identity),
            probes: [(1, 0, 0, 0), (0, 0, 1, 0), (.max, .max, .max, .max)].map(identity), wrong: [.u128(1), .u64(1)]),
        KeyCase(
            name: "(u32, string)", types: [.u32, .string],
            keys: [
                (0, ""), (0, "a"), (1, "a"), (1, "a\0"), (1, "b"), (1, "bb"), (2, ""), (2, "z"), (UInt32.max, "x"),
            ].map { [.u32($0.0), .string($0.1)] },
            probes: [(1, "aa"), (3, "a"), (1, ""), (UInt32.max, "y")].map { [.u32($0.0), .string($0.1)] },
            prefixes: [0, 1, 2, 3, UInt32.max].map { [.u32($0)] },
            wrongKeys: [IndexKey([.u32(1), .u64(7)]), IndexKey([.string("a"), .u32(1)]), IndexKey([.u64(1)])]),
    ]
}

/// Order of key values as the index should order them (strings by UTF-8 bytes, -0.0 == 0.0).
func compareValues(_ a: AlgebraicValue, _ b: AlgebraicValue) -> Int {
    func c<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
    switch (a, b) {
    case (.u64(let x), .u64(let y)): return c(x, y)
    case (.u32(let x), .u32(let y)): return c(x, y)
    case (.i64(let x), .i64(let y)): return c(x, y)
    case (.i32(let x), .i32(let y)): return c(x, y)
    case (.bool(let x), .bool(let y)): return c(x ? 1 : 0, y ? 1 : 0)
    case (.f64(let x), .f64(let y)): return c(x, y)
    case (.identity(let x), .identity(let y)): return c(x, y)
    case (.string(let x), .string(let y)):
        let (p, q) = (Array(x.utf8), Array(y.utf8))
        return p.lexicographicallyPrecedes(q) ? -1 : (p == q ? 0 : 1)
    default: preconditionFailure("no order for \(a) and \(b)")
    }
}

/// Compares a key with a key or prefix on the columns they both have.
func compareKeys(_ a: [AlgebraicValue], _ b: [AlgebraicValue]) -> Int {
    for (x, y) in zip(a, b) {
        let r = compareValues(x, y)
        if r != 0 { return r }
    }
    return 0
}

/// A range bound in values (the test's model of `IndexBound`).
enum ValueBound: CustomStringConvertible {
    case unbounded
    case included([AlgebraicValue])
    case excluded([AlgebraicValue])
    var indexBound: IndexBound {
        switch self {
        case .unbounded: .unbounded
        case .included(let k): .included(IndexKey(k))
        case .excluded(let k): .excluded(IndexKey(k))
        }
    }
    func admitsAsLower(_ key: [AlgebraicValue]) -> Bool {
        switch self {
        case .unbounded: true
        case .included(let b): compareKeys(key, b) >= 0
        case .excluded(let b): compareKeys(key, b) > 0
        }
    }
    func admitsAsUpper(_ key: [AlgebraicValue]) -> Bool {
        switch self {
        case .unbounded: true
        case .included(let b): compareKeys(key, b) <= 0
        case .excluded(let b): compareKeys(key, b) < 0
        }
    }
    var description: String {
        switch self {
        case .unbounded: "∞"
        case .included(let k): "[\(k)]"
        case .excluded(let k): "(\(k))"
        }
    }
}

struct IndexTests {
    /// A row of the model: a distinct id and the key columns.
    struct Row: Hashable {
        var id: UInt64
        var key: [AlgebraicValue]
    }

    /// Table `k` (id u64, then the key columns) with a non-unique index `k_idx` on the key
    /// columns; key `i` of the case is stored in `i % 3 + 1` rows.
    static func setUp(_ c: KeyCase, _ algorithm: IndexAlgorithm) throws -> (Datastore, TableId, IndexId, [Row]) {
        let columns = [ColumnSchema("id", .u64)] + c.types.enumerated().map { ColumnSchema("c\($0.offset)", $0.element) }
        let schema = TableSchema(
            name: "k", columns: columns,
            indexes: [IndexSchema(name: "k_idx", columns: Array(1...c.types.count), algorithm: algorithm)])
        let (db, t) = try makeStore(schema)
        var rows: [Row] = []
        for (i, k) in c.keys.enumerated() {
            for d in 0...(i % 3) { rows.append(Row(id: UInt64(i * 10 + d), key: k)) }
        }
        try insertRows(db, t, rows.shuffled().map { [.u64($0.id)] + $0.key })
        let idx = try db.read { tx in try tx.indexId("k_idx", table: t) }
        return (db, t, idx, rows)
    }

    static func decode(_ schema: TableSchema, _ rows: [[UInt8]]) -> [Row] {
        rows.map {
            let v = decodeRow(schema, $0)
            guard case .u64(let id) = v[0] else { preconditionFailure() }
            return Row(id: id, key: Array(v.dropFirst()))
        }
    }

    @Test(arguments: KeyCase.all)
    func storedKeysAreInAscendingOrder(_ c: KeyCase) {
        // Checks the test's own comparator against the hand-sorted key lists.
        for (a, b) in zip(c.keys, c.keys.dropFirst()) { #expect(compareKeys(a, b) <= 0, "\(a) > \(b)") }
    }

    @Test(arguments: KeyCase.all, [IndexAlgorithm.btree, .hash])
    func pointLookupsWithDuplicates(_ c: KeyCase, _ algorithm: IndexAlgorithm) throws {
        let (db, t, idx, rows) = try Self.setUp(c, algorithm)
        let schema = try db.read { tx in try tx.schema(t) }
        for key in c.keys + c.probes {
            let found = Self.decode(schema, try db.read { tx in try tx.seekRows(idx, IndexKey(key)) })
            let expected = rows.filter { compareKeys($0.key, key) == 0 }
            #expect(multiset(found) == multiset(expected), "seek \(key) on \(algorithm)")
        }
        for prefix in c.prefixes {
            if algorithm == .hash {
                expectStoreError(.invalidBound, "prefix seek on a hash index") {
                    try db.read { tx throws(StoreError) in try tx.seekRows(idx, IndexKey(prefix)) }
                }
                continue
            }
            let found = Self.decode(schema, try db.read { tx in try tx.seekRows(idx, IndexKey(prefix)) })
            let expected = rows.filter { compareKeys($0.key, prefix) == 0 }
            #expect(!expected.isEmpty || prefix == [.u32(3)])
            #expect(multiset(found) == multiset(expected), "prefix seek \(prefix)")
            #expect(found.map(\.key) == found.map(\.key).sorted { compareKeys($0, $1) < 0 }, "prefix seek is ordered")
        }
    }

    @Test(arguments: KeyCase.all)
    func rangesWithEveryBoundCombination(_ c: KeyCase) throws {
        let (db, t, idx, rows) = try Self.setUp(c, .btree)
        let schema = try db.read { tx in try tx.schema(t) }
        let sorted = rows.sorted { compareKeys($0.key, $1.key) < 0 }
        let values = c.keys + c.probes + c.prefixes
        let bounds = [ValueBound.unbounded] + values.flatMap { [ValueBound.included($0), .excluded($0)] }
        var nonEmpty = 0
        try db.read { tx in
            for lo in bounds {
                for hi in bounds {
                    let found = Self.decode(schema, try tx.rangeRows(idx, from: lo.indexBound, to: hi.indexBound))
                    let expected = sorted.filter { lo.admitsAsLower($0.key) && hi.admitsAsUpper($0.key) }
                    if !expected.isEmpty { nonEmpty += 1 }
                    #expect(multiset(found) == multiset(expected), "range \(lo) ... \(hi)")
                    let orderOK =
                        found.count == expected.count && zip(found, expected).allSatisfy { compareKeys($0.key, $1.key) == 0 }
                    #expect(orderOK, "range \(lo) ... \(hi) in key order: \(found.map(\.key))")
                }
            }
        }
        #expect(nonEmpty > bounds.count, "the bounds should select something most of the time")
        // The whole index in order equals the hand-sorted key list.
        let all = Self.decode(schema, try db.read { tx in try tx.rangeRows(idx, from: .unbounded, to: .unbounded) })
        var distinct: [[AlgebraicValue]] = []
        for r in all where distinct.last.map({ compareKeys($0, r.key) != 0 }) ?? true { distinct.append(r.key) }
        let expectedDistinct = c.keys.reduce(into: [[AlgebraicValue]]()) { acc, k in
            if acc.last.map({ compareKeys($0, k) != 0 }) ?? true { acc.append(k) }
        }
        #expect(distinct.count == expectedDistinct.count)
        #expect(zip(distinct, expectedDistinct).allSatisfy { compareKeys($0, $1) == 0 })
    }

    @Test(arguments: KeyCase.all)
    func rangeOnAHashIndexIsInvalid(_ c: KeyCase) throws {
        let (db, _, idx, _) = try Self.setUp(c, .hash)
        let e = expectStoreError(.invalidBound) {
            try db.read { tx throws(StoreError) in try tx.rangeRows(idx, from: .unbounded, to: .unbounded) }
        }
        expectContains(e?.message, "hash index")
        expectStoreError(.invalidBound) {
            try db.write { tx throws(StoreError) in
                try tx.delete(index: idx, from: .included(IndexKey(c.keys[0])), to: .unbounded)
            }
        }
    }

    @Test(arguments: KeyCase.all, [IndexAlgorithm.btree, .hash])
    func keyOfTheWrongType(_ c: KeyCase, _ algorithm: IndexAlgorithm) throws {
        // BSATN carries no types: only keys whose bytes cannot be read as the key type are caught
        // (an i64 key for a u64 index, say, is read as a u64).
        let (db, _, idx, _) = try Self.setUp(c, algorithm)
        // (A short key on a hash index is refused as a prefix first: see pointLookupsWithDuplicates.)
        for key in c.wrongKeys where algorithm == .btree || key.columnCount == c.types.count {
            let e = expectStoreError(.typeMismatch, "seek \(key.bsatn)") {
                try db.read { tx throws(StoreError) in try tx.seekRows(idx, key) }
            }
            expectContains(e?.message, "`k_idx`")
            if algorithm == .btree {
                expectStoreError(.typeMismatch, "range \(key.bsatn)") {
                    try db.read { tx throws(StoreError) in try tx.rangeRows(idx, from: .included(key), to: .unbounded) }
                }
            }
            expectStoreError(.typeMismatch, "delete \(key.bsatn)") {
                try db.write { tx throws(StoreError) in try tx.delete(index: idx, key: key) }
            }
        }
        // More columns than the index has.
        let tooLong = IndexKey(c.keys[0] + [.u8(0)])
        expectStoreError(.invalidBound) { try db.read { tx throws(StoreError) in try tx.seekRows(idx, tooLong) } }
    }

    @Test(arguments: KeyCase.all, [IndexAlgorithm.btree, .hash])
    func deleteByKeyAndByRangeCount(_ c: KeyCase, _ algorithm: IndexAlgorithm) throws {
        let (db, t, idx, rows) = try Self.setUp(c, algorithm)
        var model = rows
        let tx = db.begin()
        for key in [c.keys[c.keys.count / 2], c.keys.last!] + c.probes.prefix(1) {
            let expected = model.filter { compareKeys($0.key, key) == 0 }.count
            #expect(try tx.delete(index: idx, key: IndexKey(key)) == expected, "delete key \(key)")
            model.removeAll { compareKeys($0.key, key) == 0 }
            #expect(try tx.delete(index: idx, key: IndexKey(key)) == 0, "deleting again")
        }
        if algorithm == .btree {
            let lo = ValueBound.excluded(c.keys[0])
            let hi = ValueBound.included(c.keys[c.keys.count - 2])
            let expected = model.filter { lo.admitsAsLower($0.key) && hi.admitsAsUpper($0.key) }.count
            #expect(try tx.delete(index: idx, from: lo.indexBound, to: hi.indexBound) == expected)
            model.removeAll { lo.admitsAsLower($0.key) && hi.admitsAsUpper($0.key) }
            #expect(try tx.delete(index: idx, from: lo.indexBound, to: hi.indexBound) == 0)
        }
        let schema = try tx.schema(t)
        #expect(multiset(Self.decode(schema, try tx.rows(t))) == multiset(model))
        for key in c.keys {
            #expect(
                Self.decode(schema, try tx.seekRows(idx, IndexKey(key))).count
                    == model.filter { compareKeys($0.key, key) == 0 }.count)
        }
        try tx.commit()
        #expect(try db.read { tx in try tx.rowCount(t) } == model.count)
    }

    // MARK: explicit orderings

    @Test func stringsWithNulAndPrefixes() throws {
        let (db, t, idx, _) = try Self.setUp(KeyCase.all.first { $0.name == "string" }!, .btree)
        let schema = try db.read { tx in try tx.schema(t) }
        func strings(_ lo: IndexBound, _ hi: IndexBound) throws -> [String] {
            Self.decode(schema, try db.read { tx in try tx.rangeRows(idx, from: lo, to: hi) }).map {
                guard case .string(let s) = $0.key[0] else { preconditionFailure() }
                return s
            }
        }
        // "a" < "a\0" < "a\0b" < "ab" (stored 3, 1, 2 and 3 times).
        #expect(try strings(.excluded(IndexKey(.string("a"))), .excluded(IndexKey(.string("ab")))) == ["a\0", "a\0b", "a\0b"])
        #expect(try strings(.included(IndexKey(.string("a"))), .included(IndexKey(.string("a\0")))) == ["a", "a", "a", "a\0"])
        #expect(try strings(.unbounded, .excluded(IndexKey(.string("a")))) == ["", "\0", "\0"])
    }

    @Test func floatsOrderNegativesAndFoldNegativeZero() throws {
        let (db, t, idx, _) = try Self.setUp(KeyCase.all.first { $0.name == "f64" }!, .btree)
        let schema = try db.read { tx in try tx.schema(t) }
        func floats(_ lo: IndexBound, _ hi: IndexBound) throws -> [Double] {
            Self.decode(schema, try db.read { tx in try tx.rangeRows(idx, from: lo, to: hi) }).map {
                guard case .f64(let x) = $0.key[0] else { preconditionFailure() }
                return x
            }
        }
        let zeros = try db.read { tx in try tx.seekRows(idx, IndexKey(.f64(-0.0))) }
        #expect(zeros.count == Self.decode(schema, try db.read { tx in try tx.seekRows(idx, IndexKey(.f64(0.0))) }).count)
        let signs = Set(
            Self.decode(schema, zeros).map { r -> FloatingPointSign in
                guard case .f64(let x) = r.key[0] else { preconditionFailure() }
                return x.sign
            })
        #expect(signs == [.plus, .minus], "seek(-0.0) finds the rows holding 0.0 and -0.0")
        let below = try floats(.unbounded, .excluded(IndexKey(.f64(0.0))))
        #expect(below.first == -.infinity && below.last == -Double.leastNonzeroMagnitude)
        #expect(below == below.sorted())
        #expect(try floats(.excluded(IndexKey(.f64(-0.0))), .excluded(IndexKey(.f64(1.5)))).allSatisfy { $0 > 0 && $0 < 1.5 })
        // A unique f64 column treats -0.0 and 0.0 as the same key.
        let (db2, t2) = try makeStore(
            TableSchema(name: "u", columns: [.init("x", .f64)], constraints: [.init(name: "", columns: [0])]))
        try insertRows(db2, t2, [[.f64(0.0)]])
        expectStoreError(.uniqueViolation) { try insertRows(db2, t2, [[.f64(-0.0)]]) }
    }

    @Test func multiColumnPrefixThenRangeOnTheSecondColumn() throws {
        let (db, t, idx, _) = try Self.setUp(KeyCase.all.first { $0.name == "(u32, string)" }!, .btree)
        let schema = try db.read { tx in try tx.schema(t) }
        func keys(_ lo: [AlgebraicValue], _ hi: [AlgebraicValue], loIncluded: Bool = true, hiIncluded: Bool = true) throws
            -> [String]
        {
            let l: IndexBound = loIncluded ? .included(IndexKey(lo)) : .excluded(IndexKey(lo))
            let h: IndexBound = hiIncluded ? .included(IndexKey(hi)) : .excluded(IndexKey(hi))
            return Self.decode(schema, try db.read { tx in try tx.rangeRows(idx, from: l, to: h) }).map {
                guard case .u32(let a) = $0.key[0], case .string(let b) = $0.key[1] else { preconditionFailure() }
                return "\(a):\(b)"
            }
        }
        let one: [AlgebraicValue] = [.u32(1)]
        // First column only: every (1, *) in order of the second column.
        #expect(Set(try keys(one, one)).count == 4)
        // First column fixed, range on the second: 1, "a\0" ..< 1, "bb".
        let mid = try keys([.u32(1), .string("a\0")], [.u32(1), .string("bb")], hiIncluded: false)
        #expect(mid == ["1:a\0", "1:b", "1:b"])
        // Everything after the (1, *) group and up to the (2, *) group.
        #expect(try keys(one, [.u32(2)], loIncluded: false) == ["2:", "2:z", "2:z"])
        // Up to, not including, the (2, *) group; from after the (0, *) group.
        #expect(Set(try keys([.u32(0)], [.u32(2)], loIncluded: false, hiIncluded: false)) == ["1:a", "1:a\0", "1:b", "1:bb"])
    }
}
