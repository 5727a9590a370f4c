/// The JSON mapping of algebraic values (the rules are in `docs/JSON.md`).
///
/// A value does not carry its type, so both directions take the ``AlgebraicType``.
extension AlgebraicValue {
    /// The JSON form of this value, read as `type`.
    ///
    /// The value should conform to `type` (see ``conforms(to:)``); `bytes` and `array(u8)` are
    /// interchangeable. A value that does not conform gets a best-effort rendering that follows
    /// the value's own shape; do not rely on it.
    public func json(_ type: AlgebraicType) -> JSONValue {
        switch (self, type) {
        case (.bool(let b), _): return .bool(b)
        case (.i8(let v), _): return .integerJSON(v)
        case (.u8(let v), _): return .integerJSON(v)
        case (.i16(let v), _): return .integerJSON(v)
        case (.u16(let v), _): return .integerJSON(v)
        case (.i32(let v), _): return .integerJSON(v)
        case (.u32(let v), _): return .integerJSON(v)
        case (.i64(let v), _): return .integerJSON(v)
        case (.u64(let v), _): return .integerJSON(v)
        case (.i128(let v), _): return .integerJSON(v)
        case (.u128(let v), _): return .integerJSON(v)
        case (.f32(let v), _): return v.isFinite ? .number(v.description) : .nonFinite(v.isNaN, v < 0)
        case (.f64(let v), _): return v.isFinite ? .number(v.description) : .nonFinite(v.isNaN, v < 0)
        case (.string(let s), _): return .string(s)
        case (.bytes(let b), .array): return .array(b.map { .integerJSON($0) })
        case (.bytes(let b), _): return .string(lowercaseHex(b))
        case (.array(let xs), .bytes):
            var b: [UInt8] = []
            for x in xs { if case .u8(let v) = x { b.append(v) } }
            return .string(lowercaseHex(b))
        case (.array(let xs), .array(let t)): return .array(xs.map { $0.json(t) })
        case (.array(let xs), _): return .array(xs.map { $0.json(.unit) })
        case (.option(nil), _): return .null
        case (.option(let x?), .option(let t)):
            let inner = x.json(t)
            if case .option = t { return ["some": inner] }
            // A payload that itself looks like an option wrapper is wrapped, so it reads back.
            if case .object(let ms) = inner, ms.count == 1, ms[0].key == "some" || ms[0].key == "none" {
                return ["some": inner]
            }
            return inner
        case (.option(let x?), _): return x.json(.unit)
        case (.product(let xs), _):
            var fields: [ProductType.Field] = []
            if case .product(let p) = type { fields = p.fields }
            var ms: [(key: String, value: JSONValue)] = []
            ms.reserveCapacity(xs.count)
            for (i, x) in xs.enumerated() {
                let f = i < fields.count ? fields[i] : ProductType.Field(nil, .unit)
                ms.append((key: f.name ?? String(i), value: x.json(f.type)))
            }
            return .object(ms)
        case (.sum(let tag, let x), _):
            var v = SumType.Variant(nil, .unit)
            if case .sum(let s) = type, Int(tag) < s.variants.count { v = s.variants[Int(tag)] }
            return .object([(key: v.name ?? String(tag), value: x.json(v.type))])
        case (.identity(let id), _): return .string(id.hexString)
        case (.connectionId(let c), _): return .string(c.hexString)
        case (.timestamp(let t), _): return .integerJSON(t.microsSinceUnixEpoch)
        case (.timeDuration(let d), _): return .integerJSON(d.micros)
        case (.scheduleAt(.interval(let d)), _): return ["interval": .integerJSON(d.micros)]
        case (.scheduleAt(.time(let t)), _): return ["time": .integerJSON(t.microsSinceUnixEpoch)]
        }
    }

    /// Reads a value of `type` from its JSON form. The error names the path of the offending
    /// part of the document.
    public static func fromJSON(_ json: JSONValue, as type: AlgebraicType) throws(JSONMappingError) -> AlgebraicValue {
        switch type {
        case .bool:
            guard case .bool(let b) = json else { throw .expected("a bool", json) }
            return .bool(b)
        case .i8: return .i8(try integer(json, "i8"))
        case .u8: return .u8(try integer(json, "u8"))
        case .i16: return .i16(try integer(json, "i16"))
        case .u16: return .u16(try integer(json, "u16"))
        case .i32: return .i32(try integer(json, "i32"))
        case .u32: return .u32(try integer(json, "u32"))
        case .i64: return .i64(try integer(json, "i64"))
        case .u64: return .u64(try integer(json, "u64"))
        case .i128: return .i128(try integer(json, "i128"))
        case .u128: return .u128(try integer(json, "u128"))
        case .f32: return .f32(try float32(json))
        case .f64: return .f64(try float64(json))
        case .string:
            guard case .string(let s) = json else { throw .expected("a string", json) }
            return .string(s)
        case .bytes:
            guard case .string(let s) = json else { throw .expected("a hex string (bytes)", json) }
            return .bytes(try parseHexBytes(s))
        case .array(let t):
            guard case .array(let xs) = json else { throw .expected("an array", json) }
            var out: [AlgebraicValue] = []
            out.reserveCapacity(xs.count)
            for (i, x) in xs.enumerated() { out.append(try fromJSON(x, as: t, at: .index(i))) }
            return .array(out)
        case .option(let t):
            return .option(try option(json, t))
        case .product(let p):
            return try productFromJSON(json, as: p)
        case .sum(let s):
            return try sum(json, s)
        case .identity:
            guard case .string(let s) = json, let id = Identity(hex: s) else {
                throw .expected("an identity (a string of 1 to 64 hex digits)", json)
            }
            return .identity(id)
        case .connectionId:
            guard case .string(let s) = json, let c = ConnectionId(hex: s) else {
                throw .expected("a connection id (a string of 1 to 32 hex digits)", json)
            }
            return .connectionId(c)
        case .timestamp: return .timestamp(Timestamp(microsSinceUnixEpoch: try integer(json, "timestamp")))
        case .timeDuration: return .timeDuration(TimeDuration(micros: try integer(json, "time duration")))
        case .scheduleAt:
            guard case .object(let ms) = json, ms.count == 1 else {
                throw .expected("{\"interval\": micros} or {\"time\": micros}", json)
            }
            let (key, payload) = ms[0]
            switch key {
            case "interval":
                let micros: Int64 = try at(.key(key)) { () throws(JSONMappingError) in try integer(payload, "time duration") }
                return .scheduleAt(.interval(TimeDuration(micros: micros)))
            case "time":
                let micros: Int64 = try at(.key(key)) { () throws(JSONMappingError) in try integer(payload, "timestamp") }
                return .scheduleAt(.time(Timestamp(microsSinceUnixEpoch: micros)))
            default:
                throw JSONMappingError(
                    "unknown ScheduleAt variant \(JSONValue.string(key).text) (expected \"interval\" or \"time\")")
            }
        }
    }

    /// Reads a table row (or any product): either an object keyed by field name (a field without
    /// a name is keyed by its index, "0", "1", …) or an array of the field values in order.
    ///
    /// In the object form, a missing field of option type is `none`; any other missing field, an
    /// unknown key or a repeated key is an error naming it. In the array form the element count
    /// must equal the field count.
    public static func productFromJSON(_ json: JSONValue, as type: ProductType) throws(JSONMappingError) -> AlgebraicValue {
        let fields = type.fields
        switch json {
        case .array(let xs):
            guard xs.count == fields.count else {
                throw JSONMappingError(
                    "expected \(fields.count) \(fields.count == 1 ? "value" : "values") (one per field), found \(xs.count)")
            }
            var out: [AlgebraicValue] = []
            out.reserveCapacity(xs.count)
            for i in xs.indices { out.append(try fromJSON(xs[i], as: fields[i].type, at: .index(i))) }
            return .product(out)
        case .object(let ms):
            var slots = [JSONValue?](repeating: nil, count: fields.count)
            for m in ms {
                guard let i = fieldIndex(m.key, in: fields) else {
                    throw JSONMappingError("unknown field \(JSONValue.string(m.key).text)\(expectedKeys(fields.map { $0.name }))")
                }
                guard slots[i] == nil else { throw JSONMappingError("field \(JSONValue.string(m.key).text) appears twice") }
                slots[i] = m.value
            }
            var out: [AlgebraicValue] = []
            out.reserveCapacity(fields.count)
            for (i, f) in fields.enumerated() {
                let key = f.name ?? String(i)
                if let v = slots[i] {
                    out.append(try fromJSON(v, as: f.type, at: .key(key)))
                } else if case .option = f.type {
                    out.append(.option(nil))
                } else {
                    throw JSONMappingError("missing field \(JSONValue.string(key).text)")
                }
            }
            return .product(out)
        default:
            throw .expected("an object or an array (a product)", json)
        }
    }

    // MARK: - Helpers

    private static func fromJSON(
        _ json: JSONValue, as type: AlgebraicType, at step: JSONMappingError.Step
    ) throws(JSONMappingError) -> AlgebraicValue {
        try at(step) { () throws(JSONMappingError) in try fromJSON(json, as: type) }
    }

    /// Runs `body`, adding `step` in front of the path of any error it throws.
    private static func at<T>(
        _ step: JSONMappingError.Step, _ body: () throws(JSONMappingError) -> T
    ) throws(JSONMappingError) -> T {
        do {
            return try body()
        } catch {
            throw error.prefixed(step)
        }
    }

    private static func fieldIndex(_ key: String, in fields: [ProductType.Field]) -> Int? {
        for (i, f) in fields.enumerated() where (f.name ?? String(i)) == key { return i }
        return nil
    }

    private static func expectedKeys(_ names: [String?]) -> String {
        if names.isEmpty { return " (the type has none)" }
        var keys: [String] = []
        for (i, n) in names.enumerated() { keys.append(JSONValue.string(n ?? String(i)).text) }
        if keys.count > 12 { keys = Array(keys[..<12]) + ["…"] }
        var s = " (expected one of "
        for (i, k) in keys.enumerated() {
            if i > 0 { s += ", " }
            s += k
        }
        return s + ")"
    }

    private static func option(_ json: JSONValue, _ t: AlgebraicType) throws(JSONMappingError) -> AlgebraicValue? {
        if case .null = json { return nil }
        if case .object(let ms) = json, ms.count == 1 {
            if ms[0].key == "some" { return try fromJSON(ms[0].value, as: t, at: .key("some")) }
            if ms[0].key == "none" { return nil }
        }
        if case .option = t {
            throw .expected("null, {\"some\": …} or {\"none\": …} (a nested option)", json)
        }
        return try fromJSON(json, as: t)
    }

    private static func sum(_ json: JSONValue, _ s: SumType) throws(JSONMappingError) -> AlgebraicValue {
        let names = s.variants.map { $0.name }
        func index(_ key: String) throws(JSONMappingError) -> Int {
            for (i, v) in s.variants.enumerated() where (v.name ?? String(i)) == key {
                guard i <= Int(UInt8.max) else {
                    throw JSONMappingError("variant \(JSONValue.string(key).text) has index \(i); a sum has at most 256 variants")
                }
                return i
            }
            throw JSONMappingError("unknown variant \(JSONValue.string(key).text)\(expectedKeys(names))")
        }
        switch json {
        case .string(let key):
            let i = try index(key)
            guard s.variants[i].type == .unit else {
                throw JSONMappingError(
                    "variant \(json.text) carries a payload; write {\(json.text): …}")
            }
            return .sum(tag: UInt8(i), value: .unit)
        case .object(let ms) where ms.count == 1:
            let i = try index(ms[0].key)
            let t = s.variants[i].type
            if t == .unit, case .null = ms[0].value { return .sum(tag: UInt8(i), value: .unit) }
            return .sum(tag: UInt8(i), value: try fromJSON(ms[0].value, as: t, at: .key(ms[0].key)))
        default:
            throw .expected("an object with exactly one key, the variant name (a sum)", json)
        }
    }

    private static func integer<T: FixedWidthInteger>(
        _ json: JSONValue, _ typeName: String
    ) throws(JSONMappingError) -> T {
        let text: String
        switch json {
        case .number(let t):
            for c in t.utf8 where c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e") {
                throw JSONMappingError(
                    "expected an integer (\(typeName)) without fraction or exponent, found \(json.briefDescription)")
            }
            text = t
        case .string(let t):
            text = t
        default:
            throw .expected("an integer (\(typeName))", json)
        }
        guard let d = DecimalInteger(text) else {
            throw JSONMappingError(
                "expected an integer (\(typeName)): a number or a decimal string, found \(json.briefDescription)")
        }
        if let m = d.magnitude {
            if d.negative {
                if m == 0 { return 0 }
                if T.isSigned, m - 1 <= UInt128(T.max) { return T(truncatingIfNeeded: 0 &- m) }
            } else if m <= UInt128(T.max) {
                return T(truncatingIfNeeded: m)
            }
        }
        throw JSONMappingError(
            "\(json.briefDescription) is out of range for \(typeName) (\(String(T.min))...\(String(T.max)))")
    }

    private static func float32(_ json: JSONValue) throws(JSONMappingError) -> Float {
        switch json {
        case .number(let t):
            guard let r = parseFloat(t) else { throw .expected("a number (f32)", json) }
            guard !r.overflow else {
                throw JSONMappingError(
                    "\(json.briefDescription) is out of range for f32 (±\(Float.greatestFiniteMagnitude.description))")
            }
            return r.value
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        default: throw .expected("a number or \"NaN\", \"Infinity\", \"-Infinity\" (f32)", json)
        }
    }

    private static func float64(_ json: JSONValue) throws(JSONMappingError) -> Double {
        switch json {
        case .number(let t):
            guard let r = parseDouble(t) else { throw .expected("a number (f64)", json) }
            guard !r.overflow else {
                throw JSONMappingError(
                    "\(json.briefDescription) is out of range for f64 (±\(Double.greatestFiniteMagnitude.description))")
            }
            return r.value
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        default: throw .expected("a number or \"NaN\", \"Infinity\", \"-Infinity\" (f64)", json)
        }
    }

    /// Hex digits (optional `0x`, either case, even count) to bytes, in text order.
    private static func parseHexBytes(_ s: String) throws(JSONMappingError) -> [UInt8] {
        var utf8 = Array(s.utf8)
        if utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] | 0x20 == UInt8(ascii: "x") {
            utf8.removeFirst(2)
        }
        guard utf8.count % 2 == 0 else {
            throw JSONMappingError(
                "bytes must be an even number of hex digits, found \(utf8.count) in \(JSONValue.string(s).briefDescription)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = hexDigitValue(utf8[i]), let lo = hexDigitValue(utf8[i + 1]) else {
                throw JSONMappingError("invalid hex digit in bytes \(JSONValue.string(s).briefDescription)")
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// Lowercase hex digits of `bytes`, in order (two per byte, no prefix).
func lowercaseHex(_ bytes: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

extension JSONValue {
    /// The integer rule: a number when |v| ≤ 2^53 − 1, else a decimal string.
    static func integerJSON<T: FixedWidthInteger>(_ v: T) -> JSONValue {
        let limit: UInt64 = 9_007_199_254_740_991  // 2^53 − 1
        let fits = T.bitWidth <= 53 || v.magnitude <= T.Magnitude(limit)
        return fits ? .number(String(v)) : .string(String(v))
    }

    /// "NaN", "Infinity" or "-Infinity".
    static func nonFinite(_ isNaN: Bool, _ negative: Bool) -> JSONValue {
        .string(isNaN ? "NaN" : negative ? "-Infinity" : "Infinity")
    }
}

/// Why a JSON document does not match an ``AlgebraicType``: a message and the path of the
/// offending part, e.g. "at `.players[2].name`: expected a string, found 12".
public struct JSONMappingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where in the document: `.key` for an object member (`["key"]` when the key is not an
    /// identifier), `[i]` for an array element; empty for the whole document.
    public var path: String
    /// What went wrong, without the path.
    public var message: String

    /// An error at the top of the document (`path` empty).
    public init(_ message: String, path: String = "") {
        self.message = message
        self.path = path
    }

    /// "at `path`: message", or "at the top level: message".
    public var description: String {
        path.isEmpty ? "at the top level: \(message)" : "at `\(path)`: \(message)"
    }

    /// One step of a path.
    enum Step {
        case key(String)
        case index(Int)
    }

    /// This error with `step` put in front of its path.
    func prefixed(_ step: Step) -> JSONMappingError {
        var e = self
        switch step {
        case .index(let i): e.path = "[\(i)]" + path
        case .key(let k): e.path = (Self.isIdentifier(k) ? "." + k : "[" + JSONValue.string(k).text + "]") + path
        }
        return e
    }

    private static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                continue
            default: return false
            }
        }
        return true
    }

    /// "expected `what`, found `json`".
    static func expected(_ what: String, _ json: JSONValue) -> JSONMappingError {
        JSONMappingError("expected \(what), found \(json.briefDescription)")
    }
}
