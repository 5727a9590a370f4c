/// The type of a Starling value: the algebraic type system shared by tables, reducer arguments,
/// the wire protocol and the module ABI.
///
/// Composite types are built from `product` (a struct: named, ordered fields), `sum` (a tagged
/// union: named variants, each with a payload type) and `array`. `option` is the sum
/// `some(T)` (tag 0) | `none` (tag 1); it is a case of its own so that it maps to `null` in JSON
/// and to `Optional` in Swift. The special types (`identity`, `connectionId`, `timestamp`,
/// `timeDuration`, `scheduleAt`) have fixed BSATN layouts described in `docs/BSATN.md`.
public indirect enum AlgebraicType: Hashable, Sendable {
    case bool
    case i8, u8, i16, u16, i32, u32, i64, u64, i128, u128
    case f32, f64
    case string
    /// A byte string; BSATN-identical to `array(.u8)`, but shown as hex in JSON.
    case bytes
    case array(AlgebraicType)
    case option(AlgebraicType)
    case product(ProductType)
    case sum(SumType)
    /// 32 bytes, little-endian u256 on the wire.
    case identity
    /// 16 bytes, little-endian u128 on the wire.
    case connectionId
    /// Microseconds since the Unix epoch, i64.
    case timestamp
    /// Microseconds, i64.
    case timeDuration
    /// Sum `interval(TimeDuration)` = 0 | `time(Timestamp)` = 1.
    case scheduleAt

    /// The empty product, the payload of a sum variant that carries no data.
    public static let unit = AlgebraicType.product(ProductType([]))

    /// The number of bytes a value of this type occupies in BSATN, when that number is the same
    /// for every value; `nil` for variable-size types (strings, arrays, sums whose variants differ).
    public var fixedSize: Int? {
        switch self {
        case .bool, .i8, .u8: 1
        case .i16, .u16: 2
        case .i32, .u32, .f32: 4
        case .i64, .u64, .f64, .timestamp, .timeDuration: 8
        case .i128, .u128, .connectionId: 16
        case .identity: 32
        case .scheduleAt: 9
        case .string, .bytes, .array, .option: nil
        case .product(let p):
            p.fields.reduce(Optional(0)) { acc, f in
                guard let acc, let s = f.type.fixedSize else { return nil }
                return acc + s
            }
        case .sum(let s):
            s.fixedPayloadSize.map { 1 + $0 }
        }
    }

    /// The smallest number of bytes any value of this type takes in BSATN (used to refuse
    /// impossible array lengths before allocating).
    public var minimumSize: Int {
        switch self {
        case .string, .bytes, .array: 4
        case .option: 1
        case .product(let p): p.fields.reduce(0) { $0 + $1.type.minimumSize }
        case .sum(let s): 1 + (s.variants.map { $0.type.minimumSize }.min() ?? 0)
        default: fixedSize ?? 0
        }
    }

    /// Whether this is one of the fixed-width integer types.
    public var isInteger: Bool {
        switch self {
        case .i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64, .i128, .u128: true
        default: false
        }
    }
}

/// A product type: an ordered list of fields, each with an optional name.
public struct ProductType: Hashable, Sendable {
    /// One field of a product.
    public struct Field: Hashable, Sendable {
        public var name: String?
        public var type: AlgebraicType
        public init(_ name: String?, _ type: AlgebraicType) {
            self.name = name
            self.type = type
        }
    }

    public var fields: [Field]

    public init(_ fields: [Field]) { self.fields = fields }

    /// The index of the field with this name, if any.
    public func index(of name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }
}

/// A sum type (tagged union): an ordered list of variants. A value stores the variant's index as
/// its tag (u8 in BSATN, so at most 256 variants).
public struct SumType: Hashable, Sendable {
    /// One variant of a sum; `type` is `.unit` when it carries no data.
    public struct Variant: Hashable, Sendable {
        public var name: String?
        public var type: AlgebraicType
        public init(_ name: String?, _ type: AlgebraicType = .unit) {
            self.name = name
            self.type = type
        }
    }

    public var variants: [Variant]

    public init(_ variants: [Variant]) { self.variants = variants }

    /// The index of the variant with this name, if any.
    public func index(of name: String) -> Int? {
        variants.firstIndex { $0.name == name }
    }

    /// The payload size shared by every variant, if they all have the same fixed size.
    var fixedPayloadSize: Int? {
        guard let first = variants.first?.type.fixedSize else { return variants.isEmpty ? 0 : nil }
        for v in variants.dropFirst() where v.type.fixedSize != first { return nil }
        return first
    }

    /// Whether every variant is a unit (a C-like enum).
    public var isSimpleEnum: Bool { variants.allSatisfy { $0.type == .unit } }
}
