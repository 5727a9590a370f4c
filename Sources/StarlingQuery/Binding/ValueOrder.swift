import StarlingTypes

/// How SQL compares values.
///
/// Numbers compare by value across widths (`u8` 3 equals `i64` 3, `u64` max is greater than any
/// `i64`, integers and floats exactly); strings and bytes by their bytes (UTF-8), which is the
/// order indexes use; identities, connection ids, timestamps and durations as numbers. `none`
/// and NaN make a comparison unknown (SQL NULL semantics); ``sortOrder(_:_:)`` instead places them
/// last so sorting is total.
enum ValueOrder {
    /// A number in a form every numeric type converts to exactly.
    enum Number {
        case integer(negative: Bool, magnitude: UInt128)
        case float(Double)
    }

    static func number(_ v: AlgebraicValue) -> Number? {
        func int<T: BinaryInteger>(_ x: T) -> Number { .integer(negative: x < 0, magnitude: UInt128(x.magnitude)) }
        switch v {
        case .i8(let x): return int(x)
        case .u8(let x): return int(x)
        case .i16(let x): return int(x)
        case .u16(let x): return int(x)
        case .i32(let x): return int(x)
        case .u32(let x): return int(x)
        case .i64(let x): return int(x)
        case .u64(let x): return int(x)
        case .i128(let x): return int(x)
        case .u128(let x): return int(x)
        case .f32(let x): return .float(Double(x))
        case .f64(let x): return .float(x)
        default: return nil
        }
    }

    /// -1, 0 or 1; nil when either side is NaN.
    static func compare(_ a: Number, _ b: Number) -> Int? {
        switch (a, b) {
        case (.integer(let an, let am), .integer(let bn, let bm)):
            if an != bn { return an ? -1 : 1 }
            let c = am < bm ? -1 : (am == bm ? 0 : 1)
            return an ? -c : c
        case (.float(let x), .float(let y)):
            if x.isNaN || y.isNaN { return nil }
            return x < y ? -1 : (x == y ? 0 : 1)
        case (.integer(let n, let m), .float(let y)):
            return compareIntegerToDouble(n, m, y)
        case (.float(let x), .integer(let n, let m)):
            return compareIntegerToDouble(n, m, x).map { -$0 }
        }
    }

    /// Compares the integer (sign, magnitude) with `d` exactly.
    private static func compareIntegerToDouble(_ negative: Bool, _ magnitude: UInt128, _ d: Double) -> Int? {
        if d.isNaN { return nil }
        let intSign = magnitude == 0 ? 0 : (negative ? -1 : 1)
        let doubleSign = d < 0 ? -1 : (d > 0 ? 1 : 0)
        if intSign != doubleSign { return intSign < doubleSign ? -1 : 1 }
        if intSign == 0 { return 0 }
        let dm = d.magnitude
        let c: Int
        if dm >= 0x1p128 {
            c = -1
        } else {
            let whole = dm.rounded(.down)
            let wm = UInt128(whole)
            c = magnitude < wm ? -1 : (magnitude > wm ? 1 : (dm > whole ? -1 : 0))
        }
        return intSign > 0 ? c : -c
    }

    /// SQL comparison: -1, 0 or 1; nil when unknown (none, NaN) or the values are not comparable.
    /// Values of composite types compare only for equality (0 or 1).
    static func compare(_ a: AlgebraicValue, _ b: AlgebraicValue) -> Int? {
        switch (a, b) {
        case (.option(nil), _), (_, .option(nil)): return nil
        case (.option(let x?), _): return compare(x, b)
        case (_, .option(let y?)): return compare(a, y)
        default: break
        }
        if let x = number(a), let y = number(b) { return compare(x, y) }
        func c<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch (a, b) {
        case (.string(let x), .string(let y)): return compareBytes(x.utf8, y.utf8)
        case (.bytes(let x), .bytes(let y)): return compareBytes(x, y)
        case (.bool(let x), .bool(let y)): return c(x ? 1 : 0, y ? 1 : 0)
        case (.identity(let x), .identity(let y)): return c(x, y)
        case (.connectionId(let x), .connectionId(let y)): return c(x, y)
        case (.timestamp(let x), .timestamp(let y)): return c(x, y)
        case (.timeDuration(let x), .timeDuration(let y)): return c(x, y)
        default: return a == b ? 0 : 1
        }
    }

    static func compareBytes<C: Sequence<UInt8>>(_ x: C, _ y: C) -> Int {
        var i = x.makeIterator()
        var j = y.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let p?, let q?): if p != q { return p < q ? -1 : 1 }
            }
        }
    }

    /// A total order for ORDER BY: like ``compare(_:_:)``, with `none` after every value and NaN
    /// after every number.
    static func sortOrder(_ a: AlgebraicValue, _ b: AlgebraicValue) -> Int {
        switch (a, b) {
        case (.option(nil), .option(nil)): return 0
        case (.option(nil), _): return 1
        case (_, .option(nil)): return -1
        case (.option(let x?), _): return sortOrder(x, b)
        case (_, .option(let y?)): return sortOrder(a, y)
        default: break
        }
        if let c = compare(a, b) { return c }
        let aNaN = isNaN(a)
        let bNaN = isNaN(b)
        return aNaN == bNaN ? 0 : (aNaN ? 1 : -1)
    }

    private static func isNaN(_ v: AlgebraicValue) -> Bool {
        if case .float(let d) = number(v) { return d.isNaN }
        return false
    }

    /// Whether a type's values can be ordered with `<` (not only compared for equality).
    static func isOrdered(_ t: AlgebraicType) -> Bool {
        switch t {
        case .option(let inner): isOrdered(inner)
        case .bool, .string, .bytes, .identity, .connectionId, .timestamp, .timeDuration, .f32, .f64: true
        default: t.isInteger
        }
    }

    static func isNumeric(_ t: AlgebraicType) -> Bool { t.isInteger || t == .f32 || t == .f64 }

    /// The type without an option wrapper.
    static func base(_ t: AlgebraicType) -> AlgebraicType {
        if case .option(let inner) = t { return inner }
        return t
    }

    /// Whether values of the two types may be compared (options compare as their payload).
    static func comparable(_ a: AlgebraicType, _ b: AlgebraicType) -> Bool {
        let (x, y) = (base(a), base(b))
        return x == y || (isNumeric(x) && isNumeric(y))
    }
}
