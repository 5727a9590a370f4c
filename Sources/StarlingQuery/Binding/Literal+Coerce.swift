import StarlingTypes

/// Why a literal does not fit a type (the caller adds what the literal was for).
struct CoercionFailure: Error {
    var code: SQLError.Code = .typeMismatch
    var reason: String
}

extension Literal {
    /// What kind of literal this is, for messages: `an integer`, `a string`, ...
    var kindDescription: String {
        switch kind {
        case .integer: "an integer"
        case .float: "a float"
        case .string: "a string"
        case .hex: "a hex literal"
        case .bool: "a boolean"
        case .null: "NULL"
        case .parameter: "a parameter"
        }
    }

    /// This literal as a value of `type`; `sender` is the value of `:sender`.
    func coerce(to type: AlgebraicType, sender: Identity) throws(CoercionFailure) -> AlgebraicValue {
        if case .parameter(let p) = kind, p.lowercased() != "sender" {
            throw CoercionFailure(
                code: .unknownParameter, reason: "unknown parameter `:\(p)`; the only parameter is `:sender`")
        }
        if case .option(let inner) = type {
            if case .null = kind { return .option(nil) }
            return .option(try coerce(to: inner, sender: sender))
        }
        if let v = try value(as: type, sender: sender) { return v }
        throw CoercionFailure(reason: "\(type) needs \(Self.expectedLiteral(for: type)), found \(kindDescription)")
    }

    private func value(as type: AlgebraicType, sender: Identity) throws(CoercionFailure) -> AlgebraicValue? {
        switch (kind, type) {
        case (.integer(let text), _) where type.isInteger:
            return try Self.integer(text, negative: text.hasPrefix("-"), radix: 10, as: type)
        case (.hex(let digits, _), _) where type.isInteger:
            return try Self.integer(digits, negative: false, radix: 16, as: type)
        case (.integer(let text), .f32), (.float(let text), .f32):
            guard let f = Float(text), f.isFinite else { throw outOfRange(type) }
            return .f32(f)
        case (.integer(let text), .f64), (.float(let text), .f64):
            guard let f = Double(text), f.isFinite else { throw outOfRange(type) }
            return .f64(f)
        case (.integer(let text), .timestamp):
            guard case .i64(let v) = try Self.integer(text, negative: text.hasPrefix("-"), radix: 10, as: .i64) else {
                return nil
            }
            return .timestamp(Timestamp(microsSinceUnixEpoch: v))
        case (.integer(let text), .timeDuration):
            guard case .i64(let v) = try Self.integer(text, negative: text.hasPrefix("-"), radix: 10, as: .i64) else {
                return nil
            }
            return .timeDuration(TimeDuration(micros: v))
        case (.string(let s), .string): return .string(s)
        case (.bool(let b), .bool): return .bool(b)
        case (.parameter, .identity): return .identity(sender)
        case (.hex(let digits, _), .identity):
            guard let id = Identity(hex: digits) else { throw tooLong(digits, type, max: 64) }
            return .identity(id)
        case (.hex(let digits, _), .connectionId):
            guard let c = ConnectionId(hex: digits) else { throw tooLong(digits, type, max: 32) }
            return .connectionId(c)
        case (.hex(let digits, _), .bytes), (.hex(let digits, _), .array(.u8)):
            let bytes = try Self.bytes(digits)
            return type == .bytes ? .bytes(bytes) : .array(bytes.map { .u8($0) })
        default:
            return nil
        }
    }

    private func outOfRange(_ type: AlgebraicType) -> CoercionFailure {
        CoercionFailure(reason: "\(description) is out of range for \(type)")
    }

    private func tooLong(_ digits: String, _ type: AlgebraicType, max: Int) -> CoercionFailure {
        CoercionFailure(reason: "\(description) has \(digits.utf8.count) hex digits; \(type) takes at most \(max)")
    }

    /// A literal of the natural type for a literal standing alone (compared with another literal).
    func defaultValue(sender: Identity) throws(CoercionFailure) -> (AlgebraicValue, AlgebraicType) {
        let type: AlgebraicType
        switch kind {
        case .integer:
            if let v = try? coerce(to: .i128, sender: sender) { return (v, .i128) }
            type = .u128
        case .hex(let d, true): type = d.utf8.count <= 32 ? .u128 : .identity
        case .hex: type = .bytes
        case .float: type = .f64
        case .string: type = .string
        case .bool: type = .bool
        case .parameter: type = .identity
        case .null: throw CoercionFailure(reason: "NULL has no type here; use `IS NULL` to test an option column")
        }
        return (try coerce(to: type, sender: sender), type)
    }

    /// Parses an integer literal (sign included in `text` when negative) as a value of `type`.
    static func integer(_ text: String, negative: Bool, radix: UInt128, as type: AlgebraicType) throws(CoercionFailure)
        -> AlgebraicValue
    {
        var magnitude: UInt128 = 0
        var overflow = false
        for c in text.utf8 where c != UInt8(ascii: "-") {
            let digit = UInt128(hexDigit(c))
            let (m, o1) = magnitude.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            magnitude = s
        }
        func fit<T: FixedWidthInteger>(_: T.Type, _ make: (T) -> AlgebraicValue) throws(CoercionFailure)
            -> AlgebraicValue
        {
            if !overflow {
                if negative {
                    if magnitude == 0 { return make(0) }
                    if T.isSigned, magnitude - 1 <= UInt128(T.max) {
                        return make(T(truncatingIfNeeded: 0 &- magnitude))
                    }
                } else if magnitude <= UInt128(T.max) {
                    return make(T(truncatingIfNeeded: magnitude))
                }
            }
            let shown = radix == 16 ? "0x" + text : text
            throw CoercionFailure(reason: "\(shown) is out of range for \(type) (\(T.min)...\(T.max))")
        }
        switch type {
        case .i8: return try fit(Int8.self) { .i8($0) }
        case .u8: return try fit(UInt8.self) { .u8($0) }
        case .i16: return try fit(Int16.self) { .i16($0) }
        case .u16: return try fit(UInt16.self) { .u16($0) }
        case .i32: return try fit(Int32.self) { .i32($0) }
        case .u32: return try fit(UInt32.self) { .u32($0) }
        case .i64: return try fit(Int64.self) { .i64($0) }
        case .u64: return try fit(UInt64.self) { .u64($0) }
        case .i128: return try fit(Int128.self) { .i128($0) }
        default: return try fit(UInt128.self) { .u128($0) }
        }
    }

    private static func hexDigit(_ c: UInt8) -> UInt8 {
        c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10
    }

    /// Hex digits in text order to bytes.
    static func bytes(_ digits: String) throws(CoercionFailure) -> [UInt8] {
        let d = Array(digits.utf8)
        guard d.count % 2 == 0 else {
            throw CoercionFailure(reason: "bytes need an even number of hex digits, found \(d.count)")
        }
        return stride(from: 0, to: d.count, by: 2).map { hexDigit(d[$0]) << 4 | hexDigit(d[$0 + 1]) }
    }

    /// The literal that writes a value of `type`, for messages.
    static func expectedLiteral(for type: AlgebraicType) -> String {
        switch type {
        case _ where type.isInteger: "an integer"
        case .f32, .f64: "a number"
        case .string: "a string"
        case .bool: "TRUE or FALSE"
        case .identity: "a hex literal (0x... or X'...') or :sender"
        case .connectionId, .bytes, .array(.u8): "a hex literal (0x... or X'...')"
        case .timestamp: "an integer (microseconds since the Unix epoch)"
        case .timeDuration: "an integer (microseconds)"
        case .option(let t): "NULL or " + expectedLiteral(for: t)
        default: "a value that SQL cannot write"
        }
    }
}
