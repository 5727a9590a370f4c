/// A JSON document (RFC 8259), kept close to its text.
///
/// Numbers keep their literal text, so integers wider than a double (u64, i128, ...) survive a
/// parse/print round trip exactly; objects keep their members in document order (duplicate keys
/// are kept too). Two values are equal when they have the same structure, the same number texts
/// (`1.0` and `1` differ) and the same object members in the same order.
///
/// Parse with ``parse(_:)`` or ``parse(utf8:)``; print with ``text`` or ``write(to:)``. The
/// mapping between JSON and ``AlgebraicValue`` is in `AlgebraicValue+JSON.swift` and `docs/JSON.md`.
public enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its literal text (`-12`, `0.5`, `1e+20`). The text must follow the RFC 8259
    /// number grammar; the printer writes it as is.
    case number(String)
    /// A string (any Unicode text; the printer escapes what JSON requires).
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object: its members in document order.
    case object([(key: String, value: JSONValue)])

    /// Structural equality; object members are compared in order.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for i in x.indices where x[i].key != y[i].key || x[i].value != y[i].value { return false }
            return true
        default: return false
        }
    }

    /// Hashes the structure, consistently with ``==(_:_:)``.
    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0 as UInt8)
        case .bool(let x):
            h.combine(1 as UInt8)
            h.combine(x)
        case .number(let x):
            h.combine(2 as UInt8)
            h.combine(x)
        case .string(let x):
            h.combine(3 as UInt8)
            h.combine(x)
        case .array(let xs):
            h.combine(4 as UInt8)
            h.combine(xs)
        case .object(let ms):
            h.combine(5 as UInt8)
            h.combine(ms.count)
            for m in ms {
                h.combine(m.key)
                h.combine(m.value)
            }
        }
    }
}

// MARK: - Convenience

extension JSONValue {
    /// A number holding the decimal text of `value` (exact for any width).
    public static func integer(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The value of a `bool`, else nil.
    public var boolValue: Bool? {
        if case .bool(let b) = self { b } else { nil }
    }

    /// The literal text of a `number`, else nil.
    public var numberText: String? {
        if case .number(let t) = self { t } else { nil }
    }

    /// A `number` as the nearest Double (correctly rounded, ties to even), else nil. Texts too
    /// large for a Double give ±infinity.
    public var doubleValue: Double? {
        guard case .number(let t) = self else { return nil }
        return parseDouble(t)?.value
    }

    /// The text of a `string`, else nil.
    public var stringValue: String? {
        if case .string(let s) = self { s } else { nil }
    }

    /// The elements of an `array`, else nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let xs) = self { xs } else { nil }
    }

    /// The members of an `object` in document order, else nil.
    public var objectMembers: [(key: String, value: JSONValue)]? {
        if case .object(let ms) = self { ms } else { nil }
    }

    /// The value of the first member named `key` of an object; nil if absent or not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let ms) = self else { return nil }
        for m in ms where m.key == key { return m.value }
        return nil
    }

    /// The element at `index` of an array; nil if out of bounds or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let xs) = self, xs.indices.contains(index) else { return nil }
        return xs[index]
    }

    /// A short human-readable rendering for error messages: scalars as JSON text (long ones
    /// shortened), containers as "an array of N elements" / "an object with N keys".
    public var briefDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let t): return Self.shorten(t)
        case .string: return Self.shorten(text)
        case .array(let xs): return xs.count == 1 ? "an array of 1 element" : "an array of \(xs.count) elements"
        case .object(let ms):
            if ms.count == 1 { return "an object with 1 key (\(JSONValue.string(ms[0].key).text))" }
            return "an object with \(ms.count) keys"
        }
    }

    private static func shorten(_ s: String) -> String {
        let utf8 = Array(s.utf8)
        guard utf8.count > 48 else { return s }
        var cut = 40
        while cut > 0, utf8[cut] & 0xC0 == 0x80 { cut -= 1 }  // do not split a UTF-8 sequence
        return String(decoding: utf8[..<cut], as: UTF8.self) + "…"
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral {
    /// `nil` is `null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// `true` / `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// An integer number.
    public init(integerLiteral value: Int) { self = .number(String(value)) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A number printed with Swift's shortest round-trip form (the literal must be finite).
    public init(floatLiteral value: Double) {
        precondition(value.isFinite, "JSON numbers are finite")
        self = .number(value.description)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object whose members are in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { (key: $0.0, value: $0.1) })
    }
}

// MARK: - Errors

/// Why a JSON text could not be parsed: a message and the byte offset (0-based, in the UTF-8
/// input) where the problem was found.
public struct JSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for humans (e.g. "expected ',' or ']'").
    public var message: String
    /// Byte offset in the input (0-based).
    public var offset: Int

    /// An error with this message at this byte offset.
    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// "`message` at byte `offset`".
    public var description: String { "\(message) at byte \(offset)" }
}

// MARK: - Number text conversion
//
// Written by hand so they work in Embedded Swift (the standard library's `Double(String)` needs
// the C runtime's `strtod`, which a bare wasm module does not have).

/// The parts of an integer text `-?[0-9]+`.
struct DecimalInteger {
    /// Whether the text starts with `-`.
    var negative: Bool
    /// The absolute value; nil when it does not fit in 128 bits.
    var magnitude: UInt128?

    /// Parses `-?[0-9]+` (leading zeros allowed); nil for any other text.
    init?(_ text: String) {
        var it = text.utf8.makeIterator()
        guard var c = it.next() else { return nil }
        negative = c == UInt8(ascii: "-")
        if negative {
            guard let d = it.next() else { return nil }
            c = d
        }
        var m: UInt128? = 0
        while true {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            if let v = m {
                let (p, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = p.addingReportingOverflow(UInt128(c - UInt8(ascii: "0")))
                m = o1 || o2 ? nil : s
            }
            guard let next = it.next() else { break }
            c = next
        }
        magnitude = m
    }
}

/// The result of converting a decimal text to a binary floating-point format.
struct BinaryFloatBits {
    /// The IEEE-754 bit pattern (sign, exponent, mantissa), correctly rounded (ties to even).
    var bits: UInt64
    /// Whether the finite text is too large for the format (then `bits` is ±infinity).
    var overflow: Bool
}

/// Parses a JSON number text (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; this function is
/// a bit more lenient) into a correctly rounded Double. Nil for text that is not a number; a
/// too-large value gives `overflow`.
func parseDouble(_ text: String) -> (value: Double, overflow: Bool)? {
    guard var d = DecimalFloat(text) else { return nil }
    if let fast = d.fastDouble() { return (fast, false) }
    let r = d.floatBits(mantissaBits: 52, exponentBits: 11, bias: -1023)
    return (Double(bitPattern: r.bits), r.overflow)
}

/// Like ``parseDouble(_:)`` but rounds once, directly to a Float.
func parseFloat(_ text: String) -> (value: Float, overflow: Bool)? {
    guard var d = DecimalFloat(text) else { return nil }
    if let fast = d.fastFloat() { return (fast, false) }
    let r = d.floatBits(mantissaBits: 23, exponentBits: 8, bias: -127)
    return (Float(bitPattern: UInt32(truncatingIfNeeded: r.bits)), r.overflow)
}

/// A decimal number with up to 800 significant digits, shifted by powers of two until its
/// binary exponent is known ("simple decimal conversion", as in Go's `strconv`). 800 digits are
/// enough to decide every halfway case of a Double; digits beyond them only set `truncated`.
struct DecimalFloat {
    static let maxDigits = 800
    /// Significant digits as values 0...9, most significant first, no trailing zeros.
    var digits: [UInt8] = []
    /// The value is 0.d₁d₂d₃… × 10^`decimalPoint`.
    var decimalPoint = 0
    var negative = false
    /// Nonzero digits were dropped past `maxDigits`.
    var truncated = false
    /// Up to 19 leading digits as an integer, with the exponent it needs (for the fast paths).
    private var mantissa: UInt64 = 0
    private var exponent10 = 0
    private var mantissaExact = true

    init?(_ text: String) {
        let s = Array(text.utf8)
        var i = 0
        if i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") {
            negative = s[i] == UInt8(ascii: "-")
            i += 1
        }
        var sawDot = false
        var sawDigits = false
        var fractionDigits = 0
        var mantissaDigits = 0
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: ".") {
                if sawDot { return nil }
                sawDot = true
                decimalPoint = digits.count
                i += 1
                continue
            }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { break }
            let v = c - UInt8(ascii: "0")
            sawDigits = true
            i += 1
            if sawDot { fractionDigits += 1 }
            if mantissaDigits < 19 {
                if v != 0 || mantissa != 0 {
                    mantissa = mantissa * 10 + UInt64(v)
                    mantissaDigits += 1
                }
            } else {
                exponent10 += 1  // a dropped integer-position digit
                if v != 0 { mantissaExact = false }
            }
            if v == 0, digits.isEmpty {
                decimalPoint -= 1  // leading zero
                continue
            }
            if digits.count < Self.maxDigits {
                digits.append(v)
            } else if v != 0 {
                truncated = true
            }
        }
        guard sawDigits else { return nil }
        if !sawDot { decimalPoint = digits.count }
        exponent10 -= fractionDigits
        if i < s.count {
            guard s[i] | 0x20 == UInt8(ascii: "e") else { return nil }
            i += 1
            var sign = 1
            if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                if s[i] == UInt8(ascii: "-") { sign = -1 }
                i += 1
            }
            guard i < s.count else { return nil }
            var e = 0
            while i < s.count {
                let c = s[i]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                if e < 100_000 { e = e * 10 + Int(c - UInt8(ascii: "0")) }
                i += 1
            }
            decimalPoint += e * sign
            exponent10 += e * sign
        }
        trim()
    }

    private mutating func trim() {
        while let last = digits.last, last == 0 { digits.removeLast() }
        if digits.isEmpty { decimalPoint = 0 }
    }

    /// Exact when the mantissa and the power of ten are both exact doubles (Clinger's fast path).
    func fastDouble() -> Double? {
        guard mantissaExact, mantissa < 1 << 53, exponent10 >= -22, exponent10 <= 22 else { return nil }
        var p = 1.0
        for _ in 0..<abs(exponent10) { p *= 10 }
        let m = Double(mantissa)
        let v = exponent10 < 0 ? m / p : m * p
        return negative ? -v : v
    }

    /// The Float version of ``fastDouble()`` (10^10 is the largest exact power of ten).
    func fastFloat() -> Float? {
        guard mantissaExact, mantissa < 1 << 24, exponent10 >= -10, exponent10 <= 10 else { return nil }
        var p: Float = 1
        for _ in 0..<abs(exponent10) { p *= 10 }
        let m = Float(mantissa)
        let v = exponent10 < 0 ? m / p : m * p
        return negative ? -v : v
    }

    /// Multiplies by 2^k (k > 0) or divides by 2^-k.
    private mutating func shift(_ k: Int) {
        let maxShift = 60
        var k = k
        guard !digits.isEmpty else { return }
        while k > maxShift {
            leftShift(maxShift)
            k -= maxShift
        }
        while k < -maxShift {
            rightShift(maxShift)
            k += maxShift
        }
        if k > 0 { leftShift(k) } else if k < 0 { rightShift(-k) }
    }

    private mutating func leftShift(_ k: Int) {
        var reversed: [UInt8] = []
        reversed.reserveCapacity(digits.count + 19)
        var n: UInt64 = 0
        for d in digits.reversed() {
            n += UInt64(d) << UInt64(k)
            reversed.append(UInt8(n % 10))
            n /= 10
        }
        while n > 0 {
            reversed.append(UInt8(n % 10))
            n /= 10
        }
        decimalPoint += reversed.count - digits.count
        let keep = min(reversed.count, Self.maxDigits)
        var out: [UInt8] = []
        out.reserveCapacity(keep)
        for i in 0..<keep { out.append(reversed[reversed.count - 1 - i]) }
        for i in keep..<reversed.count where reversed[reversed.count - 1 - i] != 0 { truncated = true }
        digits = out
        trim()
    }

    private mutating func rightShift(_ k: Int) {
        var r = 0
        var n: UInt64 = 0
        while n >> UInt64(k) == 0 {
            if r >= digits.count {
                if n == 0 {
                    digits = []
                    decimalPoint = 0
                    return
                }
                while n >> UInt64(k) == 0 {
                    n *= 10
                    r += 1
                }
                break
            }
            n = n * 10 + UInt64(digits[r])
            r += 1
        }
        decimalPoint -= r - 1
        let mask = (UInt64(1) << UInt64(k)) - 1
        var out: [UInt8] = []
        out.reserveCapacity(digits.count + 20)
        while r < digits.count {
            out.append(UInt8(n >> UInt64(k)))
            n &= mask
            n = n * 10 + UInt64(digits[r])
            r += 1
        }
        while n > 0 {
            let d = n >> UInt64(k)
            n &= mask
            if out.count < Self.maxDigits {
                out.append(UInt8(d))
            } else if d > 0 {
                truncated = true
            }
            n *= 10
        }
        digits = out
        trim()
    }

    /// Whether rounding to `n` digits rounds up (ties to even; a truncated tail breaks ties up).
    private func shouldRoundUp(_ n: Int) -> Bool {
        guard n >= 0, n < digits.count else { return false }
        if digits[n] == 5, n + 1 == digits.count {
            if truncated { return true }
            return n > 0 && digits[n - 1] % 2 == 1
        }
        return digits[n] >= 5
    }

    /// The value rounded to an integer (saturating).
    private func roundedInteger() -> UInt64 {
        guard decimalPoint <= 20 else { return .max }
        var n: UInt64 = 0
        var i = 0
        while i < decimalPoint, i < digits.count {
            n = n &* 10 &+ UInt64(digits[i])
            i += 1
        }
        while i < decimalPoint {
            n = n &* 10
            i += 1
        }
        if shouldRoundUp(decimalPoint) { n &+= 1 }
        return n
    }

    /// The correctly rounded bit pattern in the IEEE format with these parameters.
    mutating func floatBits(mantissaBits: Int, exponentBits: Int, bias: Int) -> BinaryFloatBits {
        let powtab = [1, 3, 6, 9, 13, 16, 19, 23, 26]
        var exp = 0
        var mant: UInt64 = 0
        var overflow = false
        let maxBiasedExponent = (1 << exponentBits) - 1
        assemble: do {
            if digits.isEmpty || decimalPoint < -330 {
                exp = bias
                break assemble
            }
            if decimalPoint > 310 {
                overflow = true
                break assemble
            }
            // Scale into [0.5, 1).
            while decimalPoint > 0 {
                let n = decimalPoint >= powtab.count ? 27 : powtab[decimalPoint]
                shift(-n)
                exp += n
            }
            while decimalPoint < 0 || (decimalPoint == 0 && digits[0] < 5) {
                let n = -decimalPoint >= powtab.count ? 27 : powtab[-decimalPoint]
                shift(n)
                exp -= n
            }
            exp -= 1  // [0.5, 1) → [1, 2)
            if exp < bias + 1 {  // subnormal: move the exponent up to the minimum
                let n = bias + 1 - exp
                shift(-n)
                exp += n
            }
            if exp - bias >= maxBiasedExponent {
                overflow = true
                break assemble
            }
            shift(1 + mantissaBits)
            mant = roundedInteger()
            if mant == UInt64(2) << UInt64(mantissaBits) {  // rounding carried into a new bit
                mant >>= 1
                exp += 1
                if exp - bias >= maxBiasedExponent {
                    overflow = true
                    break assemble
                }
            }
            if mant & (UInt64(1) << UInt64(mantissaBits)) == 0 { exp = bias }  // subnormal
        }
        if overflow {
            mant = 0
            exp = maxBiasedExponent + bias
        }
        var bits = mant & ((UInt64(1) << UInt64(mantissaBits)) - 1)
        bits |= UInt64((exp - bias) & maxBiasedExponent) << UInt64(mantissaBits)
        if negative { bits |= UInt64(1) << UInt64(mantissaBits + exponentBits) }
        return BinaryFloatBits(bits: bits, overflow: overflow)
    }
}
