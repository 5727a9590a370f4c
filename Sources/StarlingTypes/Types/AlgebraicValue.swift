/// A value of some ``AlgebraicType``, used where values are handled generically (JSON, SQL,
/// tests, schema defaults). Hot paths (row storage, the wire) work on BSATN bytes instead.
///
/// A value does not carry its type: `product` holds only field values, `sum` only a tag and the
/// payload. Decoding and JSON conversion therefore always take the type as a parameter.
public indirect enum AlgebraicValue: Hashable, Sendable {
    case bool(Bool)
    case i8(Int8), u8(UInt8), i16(Int16), u16(UInt16), i32(Int32), u32(UInt32)
    case i64(Int64), u64(UInt64), i128(Int128), u128(UInt128)
    case f32(Float), f64(Double)
    case string(String)
    case bytes([UInt8])
    case array([AlgebraicValue])
    /// `nil` is `none`.
    case option(AlgebraicValue?)
    case product([AlgebraicValue])
    case sum(tag: UInt8, value: AlgebraicValue)
    case identity(Identity)
    case connectionId(ConnectionId)
    case timestamp(Timestamp)
    case timeDuration(TimeDuration)
    case scheduleAt(ScheduleAt)

    /// The empty product, payload of unit sum variants.
    public static let unit = AlgebraicValue.product([])

    /// Whether this value is a valid instance of `type` (shape and widths match).
    public func conforms(to type: AlgebraicType) -> Bool {
        switch (self, type) {
        case (.bool, .bool), (.i8, .i8), (.u8, .u8), (.i16, .i16), (.u16, .u16), (.i32, .i32),
            (.u32, .u32), (.i64, .i64), (.u64, .u64), (.i128, .i128), (.u128, .u128), (.f32, .f32),
            (.f64, .f64), (.string, .string), (.bytes, .bytes), (.identity, .identity),
            (.connectionId, .connectionId), (.timestamp, .timestamp), (.timeDuration, .timeDuration),
            (.scheduleAt, .scheduleAt):
            return true
        case (.bytes, .array(.u8)):
            return true
        case (.array(let xs), .array(let t)):
            return xs.allSatisfy { $0.conforms(to: t) }
        case (.array(let xs), .bytes):
            return xs.allSatisfy { if case .u8 = $0 { true } else { false } }
        case (.option(let x), .option(let t)):
            return x?.conforms(to: t) ?? true
        case (.product(let xs), .product(let p)):
            guard xs.count == p.fields.count else { return false }
            for (x, f) in zip(xs, p.fields) where !x.conforms(to: f.type) { return false }
            return true
        case (.sum(let tag, let x), .sum(let s)):
            return Int(tag) < s.variants.count && x.conforms(to: s.variants[Int(tag)].type)
        default:
            return false
        }
    }
}
