import Testing

@testable import StarlingTypes

// Golden BSATN byte vectors written by hand from the format rules (docs/BSATN.md), checked in both
// directions, plus the encoding of types and hostile type inputs.
//
// `BSATNKit` (bottom of this file) holds the helpers the other BSATN test files share.

/// One hand-written vector: `value` of `type` encodes to exactly `hex`.
struct BSATNHandCase: Sendable, CustomTestStringConvertible {
    var name: String
    var type: AlgebraicType
    var value: AlgebraicValue
    var hex: String
    var testDescription: String { name }

    init(_ name: String, _ type: AlgebraicType, _ value: AlgebraicValue, _ hex: String) {
        self.name = name
        self.type = type
        self.value = value
        self.hex = hex
    }
}

/// An identity whose wire bytes are 00 01 02 … 1f (so its MSB-first hex is 1f1e…0100).
private let identity0to31 = Identity(littleEndianBytes: (0..<32).map { UInt8($0) })!

private let handCases: [BSATNHandCase] = [
    // bool
    .init("bool false", .bool, .bool(false), "00"),
    .init("bool true", .bool, .bool(true), "01"),
    // integers: little-endian two's complement
    .init("i8 -1", .i8, .i8(-1), "ff"),
    .init("i8 min", .i8, .i8(.min), "80"),
    .init("i8 max", .i8, .i8(.max), "7f"),
    .init("u8 255", .u8, .u8(255), "ff"),
    .init("i16 -2", .i16, .i16(-2), "feff"),
    .init("i16 min", .i16, .i16(.min), "0080"),
    .init("u16 0x1234", .u16, .u16(0x1234), "3412"),
    .init("i32 -1", .i32, .i32(-1), "ffffffff"),
    .init("i32 0x01020304", .i32, .i32(0x0102_0304), "04030201"),
    .init("i32 min", .i32, .i32(.min), "00000080"),
    .init("u32 4_000_000_000", .u32, .u32(4_000_000_000), "00286bee"),
    .init("i64 -2", .i64, .i64(-2), "feffffffffffffff"),
    .init("i64 min", .i64, .i64(.min), "0000000000000080"),
    .init("u64 0x0102030405060708", .u64, .u64(0x0102_0304_0506_0708), "0807060504030201"),
    .init("u64 max", .u64, .u64(.max), "ffffffffffffffff"),
    .init("i128 -1", .i128, .i128(-1), "ffffffffffffffffffffffffffffffff"),
    .init("i128 -2", .i128, .i128(-2), "feffffffffffffffffffffffffffffff"),
    .init("i128 -2^64", .i128, .i128(-(Int128(1) << 64)), "0000000000000000ffffffffffffffff"),
    .init("i128 min", .i128, .i128(.min), "00000000000000000000000000000080"),
    .init("i128 max", .i128, .i128(.max), "ffffffffffffffffffffffffffffff7f"),
    .init("u128 2^64", .u128, .u128(UInt128(1) << 64), "00000000000000000100000000000000"),
    .init("u128 max", .u128, .u128(.max), "ffffffffffffffffffffffffffffffff"),
    // floats: IEEE 754 bit pattern, little-endian
    .init("f32 1.0", .f32, .f32(1.0), "0000803f"),
    .init("f32 -0.0", .f32, .f32(-0.0), "00000080"),
    .init("f32 +inf", .f32, .f32(.infinity), "0000807f"),
    .init("f32 NaN payload 1", .f32, .f32(Float(bitPattern: 0x7FC0_0001)), "0100c07f"),
    .init("f64 1.0", .f64, .f64(1.0), "000000000000f03f"),
    .init("f64 -2.5", .f64, .f64(-2.5), "00000000000004c0"),
    .init("f64 -inf", .f64, .f64(-.infinity), "000000000000f0ff"),
    .init("f64 signalling NaN", .f64, .f64(Double(bitPattern: 0x7FF0_0000_0000_0001)), "010000000000f07f"),
    // strings: u32 byte length, then UTF-8
    .init("string empty", .string, .string(""), "00000000"),
    .init("string hi", .string, .string("hi"), "020000006869"),
    .init("string é (2-byte)", .string, .string("é"), "02000000c3a9"),
    .init("string € (3-byte)", .string, .string("€"), "03000000e282ac"),
    .init("string 🐦 (4-byte)", .string, .string("🐦"), "04000000f09f90a6"),
    .init("string NUL inside", .string, .string("a\u{0}b"), "03000000610062"),
    // byte strings
    .init("bytes empty", .bytes, .bytes([]), "00000000"),
    .init("bytes deadbeef", .bytes, .bytes([0xDE, 0xAD, 0xBE, 0xEF]), "04000000deadbeef"),
    .init("array<u8> == bytes layout", .array(.u8), .array([.u8(0xDE), .u8(0xAD)]), "02000000dead"),
    // arrays: u32 count, then elements
    .init("array<i32> empty", .array(.i32), .array([]), "00000000"),
    .init("array<i32>", .array(.i32), .array([.i32(1), .i32(-1)]), "0200000001000000ffffffff"),
    .init("array<string>", .array(.string), .array([.string("a"), .string("")]), "02000000010000006100000000"),
    .init(
        "array<array<bool>>", .array(.array(.bool)),
        .array([.array([.bool(true)]), .array([]), .array([.bool(false), .bool(true)])]),
        "03000000" + "0100000001" + "00000000" + "020000000001"),
    // options: some = tag 0 + payload, none = tag 1
    .init("option<u8> some", .option(.u8), .option(.u8(5)), "0005"),
    .init("option<u8> none", .option(.u8), .option(nil), "01"),
    .init("option<option<u8>> none", .option(.option(.u8)), .option(nil), "01"),
    .init("option<option<u8>> some(none)", .option(.option(.u8)), .option(.option(nil)), "0001"),
    .init("option<option<u8>> some(some 3)", .option(.option(.u8)), .option(.option(.u8(3))), "000003"),
    // products: fields in order, no framing
    .init(
        "product {a: u8, b: string, c: bool}",
        .product(ProductType([.init("a", .u8), .init("b", .string), .init("c", .bool)])),
        .product([.u8(1), .string("x"), .bool(true)]), "010100000078" + "01"),
    .init("product empty", .unit, .unit, ""),
    .init(
        "product unnamed (i16, option<bool>)", .product(ProductType([.init(nil, .i16), .init(nil, .option(.bool))])),
        .product([.i16(-1), .option(.bool(false))]), "ffff0000"),
    // sums: u8 tag, then the variant's payload
    .init("sum unit variant", bsatnShape, .sum(tag: 0, value: .unit), "00"),
    .init("sum u16 variant", bsatnShape, .sum(tag: 1, value: .u16(258)), "010201"),
    .init(
        "sum product variant", bsatnShape, .sum(tag: 2, value: .product([.f32(1.0), .f32(-0.0)])),
        "02" + "0000803f" + "00000080"),
    // special types
    .init("identity zero", .identity, .identity(.zero), String(repeating: "00", count: 32)),
    .init(
        "identity 0…31", .identity, .identity(identity0to31),
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
    .init(
        "connectionId", .connectionId, .connectionId(ConnectionId(0x0102_0304_0506_0708_090A_0B0C_0D0E_0F10)),
        "100f0e0d0c0b0a090807060504030201"),
    .init("timestamp epoch", .timestamp, .timestamp(.unixEpoch), "0000000000000000"),
    .init("timestamp -1µs", .timestamp, .timestamp(Timestamp(microsSinceUnixEpoch: -1)), "ffffffffffffffff"),
    .init(
        "timestamp 2023-11-14T22:13:20Z", .timestamp, .timestamp(Timestamp(microsSinceUnixEpoch: 1_700_000_000_000_000)),
        "00401e18240a0600"),
    .init("timeDuration 1s", .timeDuration, .timeDuration(TimeDuration(micros: 1_000_000)), "40420f0000000000"),
    .init("timeDuration -1µs", .timeDuration, .timeDuration(TimeDuration(micros: -1)), "ffffffffffffffff"),
    .init(
        "scheduleAt interval 1s", .scheduleAt, .scheduleAt(.interval(TimeDuration(micros: 1_000_000))),
        "00" + "40420f0000000000"),
    .init(
        "scheduleAt time -1µs", .scheduleAt, .scheduleAt(.time(Timestamp(microsSinceUnixEpoch: -1))),
        "01" + "ffffffffffffffff"),
    .init(
        "array<scheduleAt>", .array(.scheduleAt), .array([.scheduleAt(.time(.unixEpoch))]),
        "01000000" + "01" + "0000000000000000"),
]

/// `sum { none: unit, short: u16, point: product(f32, f32) }`.
let bsatnShape = AlgebraicType.sum(
    SumType([
        .init("none"), .init("short", .u16),
        .init("point", .product(ProductType([.init("x", .f32), .init("y", .f32)]))),
    ]))

/// Hand-written type encodings: `type` encodes to exactly `hex`.
private let typeCases: [(String, AlgebraicType, String)] = [
    ("bool", .bool, "04"),
    ("u8", .u8, "06"),
    ("scheduleAt", .scheduleAt, "17"),
    ("array<string>", .array(.string), "0203"),
    ("option<array<bool>>", .option(.array(.bool)), "120204"),
    ("unit", .unit, "0100000000"),
    // product { a: u8, _: string }: tag 1, count 2, (some "a", u8), (none, string)
    ("product {a: u8, _: string}", .product(ProductType([.init("a", .u8), .init(nil, .string)])),
     "01" + "02000000" + "00" + "0100000061" + "06" + "01" + "03"),
    // sum { n: unit, _: identity }: tag 0, count 2, (some "n", unit), (none, identity)
    ("sum {n: unit, _: identity}", .sum(SumType([.init("n"), .init(nil, .identity)])),
     "00" + "02000000" + "00" + "010000006e" + "0100000000" + "01" + "13"),
]

struct BSATNHandWrittenTests {
    @Test(arguments: handCases)
    func valueVector(_ c: BSATNHandCase) throws {
        let expected = try #require(BSATNKit.bytes(hex: c.hex))
        #expect(BSATNKit.hex(c.value.bsatn) == c.hex, "encode")
        #expect(c.value.conforms(to: c.type))
        let decoded = try AlgebraicValue.decode(c.type, from: expected)
        #expect(BSATNKit.identical(decoded, c.value), "decoded \(decoded)")
        #expect(BSATNKit.skipAll(c.type, expected) == nil, "skip")
        if let size = c.type.fixedSize { #expect(size == expected.count, "fixedSize") }
        #expect(c.type.minimumSize <= expected.count, "minimumSize")
    }

    @Test func bytesAndArrayOfU8DecodeToTheirOwnShapes() throws {
        let wire: [UInt8] = [2, 0, 0, 0, 0xDE, 0xAD]
        #expect(try AlgebraicValue.decode(.bytes, from: wire) == .bytes([0xDE, 0xAD]))
        #expect(try AlgebraicValue.decode(.array(.u8), from: wire) == .array([.u8(0xDE), .u8(0xAD)]))
    }

    @Test func specialTypeHexIsMostSignificantFirst() {
        #expect(identity0to31.hexString == "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100")
        #expect(Identity(hex: "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100") == identity0to31)
        #expect(Identity(hex: "0x01")?.littleEndianBytes == [1] + [UInt8](repeating: 0, count: 31))
        let c = ConnectionId(0x0102_0304_0506_0708_090A_0B0C_0D0E_0F10)
        #expect(c.hexString == "0102030405060708090a0b0c0d0e0f10")
        #expect(ConnectionId(hex: "0102030405060708090a0b0c0d0e0f10") == c)
    }

    @Test(arguments: [
        ("bool 2", AlgebraicType.bool, "02", BSATNError.Code.invalidBool),
        ("bool ff", .bool, "ff", .invalidBool),
        ("option tag 2", .option(.u8), "0201", .invalidTag),
        ("sum tag past end", bsatnShape, "03", .invalidTag),
        ("scheduleAt tag 2", .scheduleAt, "020000000000000000", .invalidTag),
        ("string lone continuation", .string, "0100000080", .invalidUTF8),
        ("string overlong /", .string, "02000000c0af", .invalidUTF8),
        ("string surrogate", .string, "03000000eda080", .invalidUTF8),
        ("string > U+10FFFF", .string, "04000000f4908080", .invalidUTF8),
        ("string truncated 3-byte", .string, "02000000e282", .invalidUTF8),
        ("string length past end", .string, "0500000061", .unexpectedEnd),
        ("i128 short", .i128, "ffffffffffffffffffffffffffffff", .unexpectedEnd),
        ("identity short", .identity, String(repeating: "00", count: 31), .unexpectedEnd),
        ("u8 empty input", .u8, "", .unexpectedEnd),
        ("unit with a byte", .unit, "00", .trailingBytes),
        ("array count past end", .array(.i32), "0200000001000000", .unexpectedEnd),
    ])
    func invalidValue(_ name: String, _ type: AlgebraicType, _ hex: String, _ code: BSATNError.Code) throws {
        let input = try #require(BSATNKit.bytes(hex: hex))
        #expect(BSATNKit.decodeError(type, input)?.code == code, "decode")
        #expect(BSATNKit.skipAll(type, input)?.code == code, "skip")
    }

    // MARK: Types

    @Test(arguments: typeCases)
    func typeVector(_ name: String, _ type: AlgebraicType, _ hex: String) throws {
        let expected = try #require(BSATNKit.bytes(hex: hex))
        #expect(BSATNKit.hex(BSATNKit.encode(type)) == hex)
        #expect(try BSATNKit.decodeType(expected) == type)
    }

    /// Every case of `AlgebraicType`, with named and unnamed members.
    static let everyTypeCase: [AlgebraicType] = {
        let leaves: [AlgebraicType] = [
            .bool, .i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64, .i128, .u128, .f32, .f64, .string, .bytes,
            .identity, .connectionId, .timestamp, .timeDuration, .scheduleAt,
        ]
        return leaves + [
            .array(.u8), .array(.array(.string)), .option(.bool), .option(.option(.unit)), .unit,
            .product(ProductType([.init("x", .f32), .init(nil, .f64), .init("", .bool), .init("名前", .string)])),
            .sum(SumType([])), .sum(SumType([.init("a"), .init(nil, .i64), .init("c", .array(.identity))])),
            .sum(SumType((0..<256).map { .init("v\($0)") })),
            .product(ProductType([.init("nested", bsatnShape), .init("opt", .option(.scheduleAt))])),
        ]
    }()

    @Test(arguments: everyTypeCase)
    func typeRoundTrip(_ type: AlgebraicType) throws {
        let bytes = BSATNKit.encode(type)
        #expect(bytes.first == type.tag)
        #expect(try BSATNKit.decodeType(bytes) == type)
        // Every strict prefix is cut short.
        for n in 0..<bytes.count {
            #expect(BSATNKit.typeError(Array(bytes[..<n]))?.code == .unexpectedEnd, "prefix \(n)")
        }
    }

    @Test func typeTagsAreTheDocumentedOnes() {
        let tags = Self.everyTypeCase.prefix(20).map(\.tag)
        #expect(tags == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 3, 17, 19, 20, 21, 22, 23])
        #expect(AlgebraicType.sum(SumType([])).tag == 0)
        #expect(AlgebraicType.unit.tag == 1)
        #expect(AlgebraicType.array(.bool).tag == 2)
        #expect(AlgebraicType.option(.bool).tag == 18)
    }

    @Test(arguments: [
        ("tag 24", "18", BSATNError.Code.invalidTag),
        ("tag 255", "ff", .invalidTag),
        ("array of tag 99", "0263", .invalidTag),
        ("empty input", "", .unexpectedEnd),
        ("member name tag 2", "01" + "01000000" + "02" + "04", .invalidTag),
        ("member name invalid utf-8", "01" + "01000000" + "00" + "01000000ff" + "04", .invalidUTF8),
        ("product count 2^32-1", "01ffffffff", .unexpectedEnd),
        ("sum count 2^32-1", "00ffffffff0104", .unexpectedEnd),
        ("product count 3, one member", "01" + "03000000" + "0104", .unexpectedEnd),
        ("trailing byte after type", "0404", .trailingBytes),
    ])
    func hostileType(_ name: String, _ hex: String, _ code: BSATNError.Code) throws {
        let input = try #require(BSATNKit.bytes(hex: hex))
        #expect(BSATNKit.typeError(input)?.code == code)
    }

    @Test func sumWithMoreThan256VariantsIsRejected() throws {
        var w = BSATNWriter()
        w.write(UInt8(0))
        w.writeLength(257)
        for _ in 0..<257 {
            w.write(UInt8(1))
            AlgebraicType.unit.encode(to: &w)
        }
        #expect(BSATNKit.typeError(w.bytes)?.code == .lengthTooLarge)
    }

    @Test func typeNestingLimit() throws {
        let limit = AlgebraicType.maxDecodeDepth
        #expect(limit == 64)
        func nested(_ n: Int, _ wrap: (AlgebraicType) -> AlgebraicType) -> AlgebraicType {
            (0..<n).reduce(AlgebraicType.bool) { t, _ in wrap(t) }
        }
        let wrappers: [(AlgebraicType) -> AlgebraicType] = [
            { .array($0) }, { .option($0) }, { .product(ProductType([.init("f", $0)])) },
            { .sum(SumType([.init(nil, $0)])) },
        ]
        for wrap in wrappers {
            // `limit` type nodes in a chain (limit - 1 wrappers around a leaf) is the deepest accepted.
            let ok = nested(limit - 1, wrap)
            #expect(try BSATNKit.decodeType(BSATNKit.encode(ok)) == ok)
            let tooDeep = nested(limit, wrap)
            #expect(BSATNKit.typeError(BSATNKit.encode(tooDeep))?.code == .lengthTooLarge)
        }
        // A hostile chain far deeper than the limit fails fast, without recursing all the way down.
        let hostile = [UInt8](repeating: 2, count: 1_000_000) + [4]
        #expect(BSATNKit.typeError(hostile)?.code == .lengthTooLarge)
    }
}

// MARK: - Shared helpers

/// Helpers shared by the BSATN test files.
enum BSATNKit {
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }

    /// Bytes from hex digits (pairs, no prefix); nil if malformed.
    static func bytes(hex: String) -> [UInt8]? {
        let cs = Array(hex.utf8)
        guard cs.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(cs.count / 2)
        for i in stride(from: 0, to: cs.count, by: 2) {
            guard let hi = hexDigitValue(cs[i]), let lo = hexDigitValue(cs[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    /// Structural equality with floats compared by bit pattern (so -0.0 ≠ 0.0 and NaN == same NaN).
    static func identical(_ a: AlgebraicValue, _ b: AlgebraicValue) -> Bool {
        switch (a, b) {
        case (.f32(let x), .f32(let y)): return x.bitPattern == y.bitPattern
        case (.f64(let x), .f64(let y)): return x.bitPattern == y.bitPattern
        case (.array(let xs), .array(let ys)), (.product(let xs), .product(let ys)):
            return xs.count == ys.count && zip(xs, ys).allSatisfy { identical($0, $1) }
        case (.option(let x), .option(let y)):
            switch (x, y) {
            case (nil, nil): return true
            case (let x?, let y?): return identical(x, y)
            default: return false
            }
        case (.sum(let t, let x), .sum(let u, let y)): return t == u && identical(x, y)
        default: return a == b
        }
    }

    /// The error full-input decoding throws, or nil if it succeeds.
    static func decodeError(_ type: AlgebraicType, _ input: [UInt8]) -> BSATNError? {
        do {
            _ = try AlgebraicValue.decode(type, from: input)
            return nil
        } catch {
            return error
        }
    }

    /// `BSATNReader.skip(type)` then `expectEnd()`: the error, or nil if the input is one valid value.
    static func skipAll(_ type: AlgebraicType, _ input: [UInt8]) -> BSATNError? {
        input.withUnsafeBytes { (buf) -> BSATNError? in
            var r = BSATNReader(buf)
            do throws(BSATNError) {
                try r.skip(type)
                try r.expectEnd()
                return nil
            } catch {
                return error
            }
        }
    }

    /// Decodes through the reader API; returns the value and how many bytes were consumed.
    static func decodePrefix(_ type: AlgebraicType, _ input: [UInt8]) throws(BSATNError) -> (AlgebraicValue, Int) {
        try input.withBytes { (buf: UnsafeRawBufferPointer) throws(BSATNError) -> (AlgebraicValue, Int) in
            var r = BSATNReader(buf)
            let v = try AlgebraicValue.decode(type, from: &r)
            return (v, r.position)
        }
    }

    static func encode(_ type: AlgebraicType) -> [UInt8] {
        var w = BSATNWriter()
        type.encode(to: &w)
        return w.bytes
    }

    /// Decodes exactly one type from `input` (trailing bytes are an error).
    static func decodeType(_ input: [UInt8]) throws(BSATNError) -> AlgebraicType {
        try input.withBytes { (buf: UnsafeRawBufferPointer) throws(BSATNError) -> AlgebraicType in
            var r = BSATNReader(buf)
            let t = try AlgebraicType.decode(from: &r)
            try r.expectEnd()
            return t
        }
    }

    static func typeError(_ input: [UInt8]) -> BSATNError? {
        do {
            _ = try decodeType(input)
            return nil
        } catch {
            return error
        }
    }
}
