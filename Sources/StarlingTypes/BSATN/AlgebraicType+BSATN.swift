/// Types are themselves BSATN-encodable, so a module can describe its schema in BSATN.
///
/// A type is a u8 tag followed by its parameters (see `docs/BSATN.md`, "Types"):
/// `sum` = 0 + array of (option<string> name, type); `product` = 1 + array of
/// (option<string> name, type); `array` = 2 + element type; `option` = 18 + payload type; every
/// other tag stands alone.
extension AlgebraicType {
    /// The one-byte tag that starts this type's encoding.
    public var tag: UInt8 {
        switch self {
        case .sum: 0
        case .product: 1
        case .array: 2
        case .string: 3
        case .bool: 4
        case .i8: 5
        case .u8: 6
        case .i16: 7
        case .u16: 8
        case .i32: 9
        case .u32: 10
        case .i64: 11
        case .u64: 12
        case .i128: 13
        case .u128: 14
        case .f32: 15
        case .f64: 16
        case .bytes: 17
        case .option: 18
        case .identity: 19
        case .connectionId: 20
        case .timestamp: 21
        case .timeDuration: 22
        case .scheduleAt: 23
        }
    }

    /// Types nest at most this deep when decoded (guards the stack against hostile input).
    public static let maxDecodeDepth = 64

    /// Appends the encoding of this type.
    public func encode(to w: inout BSATNWriter) {
        w.write(tag)
        switch self {
        case .sum(let s):
            w.writeLength(s.variants.count)
            for v in s.variants { Self.encodeMember(v.name, v.type, to: &w) }
        case .product(let p):
            w.writeLength(p.fields.count)
            for f in p.fields { Self.encodeMember(f.name, f.type, to: &w) }
        case .array(let t), .option(let t):
            t.encode(to: &w)
        default:
            break
        }
    }

    private static func encodeMember(_ name: String?, _ type: AlgebraicType, to w: inout BSATNWriter) {
        if let name {
            w.write(UInt8(0))
            w.write(name)
        } else {
            w.write(UInt8(1))
        }
        type.encode(to: &w)
    }

    /// This type's BSATN encoding.
    public var bsatn: [UInt8] {
        var w = BSATNWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes exactly one type from `bytes` (trailing bytes are an error).
    public static func decode(from bytes: some ContiguousBytes) throws(BSATNError) -> AlgebraicType {
        try bytes.withBytes { (buf: UnsafeRawBufferPointer) throws(BSATNError) -> AlgebraicType in
            var r = BSATNReader(buf)
            let t = try decode(from: &r)
            try r.expectEnd()
            return t
        }
    }

    /// Reads one type.
    public static func decode(from r: inout BSATNReader) throws(BSATNError) -> AlgebraicType {
        try decode(from: &r, depth: 0)
    }

    static func decode(from r: inout BSATNReader, depth: Int) throws(BSATNError) -> AlgebraicType {
        guard depth < maxDecodeDepth else {
            throw BSATNError(.lengthTooLarge, "type nests deeper than \(maxDecodeDepth) levels", offset: r.position)
        }
        let at = r.position
        let tag = try r.readU8()
        switch tag {
        case 0:
            let n = try r.readLength(minElementSize: 2)
            guard n <= 256 else { throw BSATNError(.lengthTooLarge, "a sum has at most 256 variants, got \(n)", offset: at + 1) }
            var vs: [SumType.Variant] = []
            for _ in 0..<n {
                let (name, t) = try decodeMember(from: &r, depth: depth)
                vs.append(.init(name, t))
            }
            return .sum(SumType(vs))
        case 1:
            let n = try r.readLength(minElementSize: 2)
            var fs: [ProductType.Field] = []
            for _ in 0..<n {
                let (name, t) = try decodeMember(from: &r, depth: depth)
                fs.append(.init(name, t))
            }
            return .product(ProductType(fs))
        case 2: return .array(try decode(from: &r, depth: depth + 1))
        case 18: return .option(try decode(from: &r, depth: depth + 1))
        case 3: return .string
        case 4: return .bool
        case 5: return .i8
        case 6: return .u8
        case 7: return .i16
        case 8: return .u16
        case 9: return .i32
        case 10: return .u32
        case 11: return .i64
        case 12: return .u64
        case 13: return .i128
        case 14: return .u128
        case 15: return .f32
        case 16: return .f64
        case 17: return .bytes
        case 19: return .identity
        case 20: return .connectionId
        case 21: return .timestamp
        case 22: return .timeDuration
        case 23: return .scheduleAt
        default: throw BSATNError(.invalidTag, "invalid type tag \(tag)", offset: at)
        }
    }

    private static func decodeMember(from r: inout BSATNReader, depth: Int) throws(BSATNError) -> (String?, AlgebraicType) {
        let at = r.position
        let name: String?
        switch try r.readU8() {
        case 0: name = try r.readString()
        case 1: name = nil
        case let t: throw BSATNError(.invalidTag, "invalid option tag \(t) for a member name", offset: at)
        }
        return (name, try decode(from: &r, depth: depth + 1))
    }
}
