import Foundation
import Testing

@testable import StarlingTypes

// Tests for the JSON document model (parser, printer) and the AlgebraicValue ↔ JSON mapping
// described in docs/JSON.md.

// MARK: - Fixtures

private let pointType = ProductType([.init("x", .i32), .init("y", .i32)])
private let shapeType = SumType([
    .init("circle", .f32),
    .init("rect", .product(ProductType([.init("w", .u16), .init("h", .u16)]))),
    .init("empty"),
])
private let colorType = SumType([.init("red"), .init("green"), .init(nil, .string)])
private let sampleIdentity = Identity(littleEndianBytes: (0..<32).map { UInt8($0 * 7 & 0xFF) })!
private let sampleConnection = ConnectionId(0x0123_4567_89ab_cdef_0011_2233_4455_6677)

/// A (type, value) pair for the round-trip tests.
struct JSONRoundTripCase: Sendable, CustomTestStringConvertible {
    var name: String
    var type: AlgebraicType
    var value: AlgebraicValue
    var testDescription: String { name }
    init(_ name: String, _ type: AlgebraicType, _ value: AlgebraicValue) {
        self.name = name
        self.type = type
        self.value = value
    }
}

private let roundTripCases: [JSONRoundTripCase] = [
    .init("bool true", .bool, .bool(true)),
    .init("bool false", .bool, .bool(false)),
    .init("i8", .i8, .i8(-5)), .init("u8", .u8, .u8(200)),
    .init("i16", .i16, .i16(-300)), .init("u16", .u16, .u16(60000)),
    .init("i32", .i32, .i32(-70000)), .init("u32", .u32, .u32(4_000_000_000)),
    .init("i64 small", .i64, .i64(-42)), .init("i64 big", .i64, .i64(1 << 60)),
    .init("u64 small", .u64, .u64(7)), .init("u64 big", .u64, .u64(.max - 1)),
    .init("i128", .i128, .i128(-(1 << 100))), .init("u128", .u128, .u128(1 << 127 + 5)),
    .init("f32", .f32, .f32(0.1)), .init("f32 neg zero", .f32, .f32(-0.0)),
    .init("f32 max", .f32, .f32(.greatestFiniteMagnitude)), .init("f32 tiny", .f32, .f32(.leastNonzeroMagnitude)),
    .init("f32 inf", .f32, .f32(.infinity)), .init("f32 -inf", .f32, .f32(-.infinity)),
    .init("f64", .f64, .f64(0.1)), .init("f64 1e300", .f64, .f64(1e300)),
    .init("f64 subnormal", .f64, .f64(.leastNonzeroMagnitude)), .init("f64 -inf", .f64, .f64(-.infinity)),
    .init("f64 pi", .f64, .f64(Double.pi)), .init("f64 neg zero", .f64, .f64(-0.0)),
    .init("string", .string, .string("héllo 🐦 \"q\" \\ \n\t\u{0}\u{1F}/")),
    .init("string empty", .string, .string("")),
    .init("bytes", .bytes, .bytes([0, 1, 0xAB, 0xFF])), .init("bytes empty", .bytes, .bytes([])),
    .init("array i32", .array(.i32), .array([.i32(1), .i32(-2), .i32(3)])),
    .init("array u8", .array(.u8), .array([.u8(0), .u8(255)])),
    .init("array empty", .array(.string), .array([])),
    .init(
        "array of arrays", .array(.array(.string)),
        .array([.array([.string("a")]), .array([]), .array([.string("b"), .string("c")])])),
    .init("option some", .option(.i32), .option(.i32(5))),
    .init("option none", .option(.i32), .option(nil)),
    .init("option some string", .option(.string), .option(.string(""))),
    .init("nested option some some", .option(.option(.i32)), .option(.option(.i32(5)))),
    .init("nested option some none", .option(.option(.i32)), .option(.option(nil))),
    .init("nested option none", .option(.option(.i32)), .option(nil)),
    .init(
        "triple option", .option(.option(.option(.bool))), .option(.option(.option(nil)))),
    .init(
        "option of product with a 'some' field",
        .option(.product(ProductType([.init("some", .i32)]))), .option(.product([.i32(5)]))),
    .init(
        "option of sum with a 'none' variant",
        .option(.sum(SumType([.init("none"), .init("some", .i32)]))), .option(.sum(tag: 0, value: .unit))),
    .init(
        "option of sum with a 'some' variant",
        .option(.sum(SumType([.init("none"), .init("some", .i32)]))), .option(.sum(tag: 1, value: .i32(3)))),
    .init("product", .product(pointType), .product([.i32(1), .i32(-2)])),
    .init("product empty", .product(ProductType([])), .product([])),
    .init(
        "product unnamed fields", .product(ProductType([.init(nil, .bool), .init("b", .string), .init(nil, .u8)])),
        .product([.bool(true), .string("x"), .u8(9)])),
    .init("sum payload", .sum(shapeType), .sum(tag: 0, value: .f32(2))),
    .init("sum product payload", .sum(shapeType), .sum(tag: 1, value: .product([.u16(3), .u16(4)]))),
    .init("sum unit", .sum(shapeType), .sum(tag: 2, value: .unit)),
    .init("sum unnamed variant", .sum(colorType), .sum(tag: 2, value: .string("teal"))),
    .init(
        "nested everything",
        .product(ProductType([
            .init("owner", .identity),
            .init("tags", .array(.string)),
            .init("nick", .option(.string)),
            .init("shape", .sum(shapeType)),
            .init("history", .array(.option(.sum(shapeType)))),
            .init("inner", .product(ProductType([.init("at", .timestamp), .init("every", .scheduleAt)]))),
        ])),
        .product([
            .identity(sampleIdentity),
            .array([.string("x"), .string("y")]),
            .option(nil),
            .sum(tag: 1, value: .product([.u16(1), .u16(2)])),
            .array([.option(.sum(tag: 2, value: .unit)), .option(nil), .option(.sum(tag: 0, value: .f32(-1.5)))]),
            .product([.timestamp(Timestamp(microsSinceUnixEpoch: 1_795_546_229_000_000)), .scheduleAt(.time(.unixEpoch))]),
        ])),
    .init("identity", .identity, .identity(sampleIdentity)),
    .init("identity zero", .identity, .identity(.zero)),
    .init("connection id", .connectionId, .connectionId(sampleConnection)),
    .init("timestamp", .timestamp, .timestamp(Timestamp(microsSinceUnixEpoch: -1))),
    .init("timestamp max", .timestamp, .timestamp(Timestamp(microsSinceUnixEpoch: .max))),
    .init("time duration", .timeDuration, .timeDuration(TimeDuration(micros: 1_000_000))),
    .init("schedule interval", .scheduleAt, .scheduleAt(.interval(TimeDuration(micros: 50_000)))),
    .init("schedule time", .scheduleAt, .scheduleAt(.time(Timestamp(microsSinceUnixEpoch: 1 << 62)))),
]

/// Same value, treating NaN as equal to NaN and distinguishing -0.0 from 0.0.
private func sameValue(_ a: AlgebraicValue, _ b: AlgebraicValue) -> Bool {
    switch (a, b) {
    case (.f32(let x), .f32(let y)): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
    case (.f64(let x), .f64(let y)): return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
    case (.array(let xs), .array(let ys)), (.product(let xs), .product(let ys)):
        return xs.count == ys.count && zip(xs, ys).allSatisfy { sameValue($0, $1) }
    case (.option(let x), .option(let y)):
        if let x, let y { return sameValue(x, y) }
        return x == nil && y == nil
    case (.sum(let t1, let x), .sum(let t2, let y)): return t1 == t2 && sameValue(x, y)
    default: return a == b
    }
}

private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

private func decode(_ text: String, _ type: AlgebraicType) throws -> AlgebraicValue {
    try AlgebraicValue.fromJSON(try JSONValue.parse(text), as: type)
}

/// The parse error for `text` (fails the test when it parses).
private func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONError? {
    do {
        let v = try JSONValue.parse(text)
        Issue.record("expected a parse error for \(text), got \(v)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The mapping error for `text` as `type` (fails the test when it decodes).
private func mappingError(_ text: String, _ type: AlgebraicType, sourceLocation: SourceLocation = #_sourceLocation) -> JSONMappingError? {
    let json: JSONValue
    do { json = try JSONValue.parse(text) } catch {
        Issue.record("test JSON does not parse: \(error)", sourceLocation: sourceLocation)
        return nil
    }
    do {
        let v = try AlgebraicValue.fromJSON(json, as: type)
        Issue.record("expected a mapping error for \(text), got \(v)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// SplitMix64, for reproducible random inputs.
private struct JSONTestRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Round trips

@Suite struct JSONMappingRoundTripTests {
    @Test(arguments: roundTripCases)
    func valueToJSONTextAndBack(_ c: JSONRoundTripCase) throws {
        #expect(c.value.conforms(to: c.type))
        let json = c.value.json(c.type)
        let text = json.text
        let parsed = try JSONValue.parse(text)
        #expect(parsed == json, "text: \(text)")
        #expect(parsed.text == text)
        let back = try AlgebraicValue.fromJSON(parsed, as: c.type)
        #expect(sameValue(back, c.value), "text: \(text), back: \(back)")
        // Via bytes, too.
        let viaBytes = try JSONValue.parse(utf8: json.utf8)
        #expect(viaBytes == json)
    }

    @Test func nanRoundTrips() throws {
        for (type, value) in [(AlgebraicType.f32, AlgebraicValue.f32(.nan)), (.f64, .f64(.nan))] {
            let json = value.json(type)
            #expect(json == .string("NaN"))
            let back = try AlgebraicValue.fromJSON(try JSONValue.parse(json.text), as: type)
            #expect(sameValue(back, value))
        }
    }

    @Test func exactTexts() {
        let cases: [(AlgebraicType, AlgebraicValue, String)] = [
            (.bool, .bool(true), "true"),
            (.product(pointType), .product([.i32(1), .i32(-2)]), #"{"x":1,"y":-2}"#),
            (.sum(shapeType), .sum(tag: 2, value: .unit), #"{"empty":{}}"#),
            (.sum(shapeType), .sum(tag: 1, value: .product([.u16(3), .u16(4)])), #"{"rect":{"w":3,"h":4}}"#),
            (.sum(colorType), .sum(tag: 2, value: .string("x")), #"{"2":"x"}"#),
            (.product(ProductType([.init(nil, .u8), .init(nil, .u8)])), .product([.u8(1), .u8(2)]), #"{"0":1,"1":2}"#),
            (.option(.i32), .option(.i32(5)), "5"),
            (.option(.i32), .option(nil), "null"),
            (.option(.option(.i32)), .option(.option(.i32(5))), #"{"some":5}"#),
            (.option(.option(.i32)), .option(.option(nil)), #"{"some":null}"#),
            (.option(.option(.option(.i32))), .option(.option(.option(.i32(1)))), #"{"some":{"some":1}}"#),
            (.option(.product(ProductType([.init("some", .i32)]))), .option(.product([.i32(5)])), #"{"some":{"some":5}}"#),
            (.option(.product(ProductType([.init("other", .i32)]))), .option(.product([.i32(5)])), #"{"other":5}"#),
            (.bytes, .bytes([0x0A, 0xFF]), #""0aff""#),
            (.array(.u8), .array([.u8(10), .u8(255)]), "[10,255]"),
            (.array(.u8), .bytes([10, 255]), "[10,255]"),
            (.bytes, .array([.u8(10), .u8(255)]), #""0aff""#),
            (.f64, .f64(0.1), "0.1"), (.f32, .f32(0.1), "0.1"), (.f64, .f64(1), "1.0"),
            (.f64, .f64(1e20), "1e+20"), (.f64, .f64(-0.0), "-0.0"),
            (.f32, .f32(.infinity), #""Infinity""#), (.f64, .f64(-.infinity), #""-Infinity""#),
            (.identity, .identity(.zero), "\"" + String(repeating: "0", count: 64) + "\""),
            (.connectionId, .connectionId(sampleConnection), #""0123456789abcdef0011223344556677""#),
            (.timestamp, .timestamp(Timestamp(microsSinceUnixEpoch: 1_795_546_229_000_000)), "1795546229000000"),
            (.timeDuration, .timeDuration(TimeDuration(micros: -5)), "-5"),
            (.scheduleAt, .scheduleAt(.interval(TimeDuration(micros: 50_000))), #"{"interval":50000}"#),
            (.scheduleAt, .scheduleAt(.time(Timestamp(microsSinceUnixEpoch: 1 << 60))), #"{"time":"1152921504606846976"}"#),
        ]
        for (type, value, text) in cases {
            #expect(value.json(type).text == text, "\(value) as \(type)")
        }
        #expect(AlgebraicValue.identity(sampleIdentity).json(.identity) == .string(sampleIdentity.hexString))
    }

    @Test func lenientInputs() throws {
        // Unit variants: bare string, {}, [], null.
        for text in [#""empty""#, #"{"empty":{}}"#, #"{"empty":[]}"#, #"{"empty":null}"#] {
            #expect(try decode(text, .sum(shapeType)) == .sum(tag: 2, value: .unit), "\(text)")
        }
        // Products from arrays; options from wrappers.
        #expect(try decode("[1,2]", .product(pointType)) == .product([.i32(1), .i32(2)]))
        #expect(try decode(#"{"some":5}"#, .option(.i32)) == .option(.i32(5)))
        #expect(try decode(#"{"none":[1,2]}"#, .option(.i32)) == .option(nil))
        #expect(try decode(#"{"none":null}"#, .option(.option(.i32))) == .option(nil))
        // Integers as strings, big integers as numbers.
        #expect(try decode(#""255""#, .u8) == .u8(255))
        #expect(try decode(#""-0""#, .u8) == .u8(0))
        #expect(try decode("18446744073709551615", .u64) == .u64(.max))
        #expect(try decode(#""007""#, .i32) == .i32(7))
        // Floats from exponents and integers.
        #expect(try decode("1.5e3", .f64) == .f64(1500))
        #expect(try decode("-2E-2", .f32) == .f32(-0.02))
        #expect(try decode("3", .f32) == .f32(3))
        #expect(try decode("3.4028234663852886e+38", .f32) == .f32(.greatestFiniteMagnitude))
        #expect(try decode("1e-400", .f64) == .f64(0))
        // Hex: prefix, upper case, short identities.
        #expect(try decode(#""0xAbCd""#, .bytes) == .bytes([0xAB, 0xCD]))
        #expect(try decode(#""0x""#, .bytes) == .bytes([]))
        #expect(try decode(#""0x1""#, .identity) == .identity(Identity(limbs: (1, 0, 0, 0))))
        #expect(try decode(#""FF""#, .connectionId) == .connectionId(ConnectionId(255)))
        #expect(try decode(#""0x01""#, .identity) == .identity(Identity(limbs: (1, 0, 0, 0))))
    }
}

// MARK: - Integers

@Suite struct JSONIntegerTests {
    static let limit: Int64 = (1 << 53) - 1

    @Test func boundaryAt2To53() throws {
        let l = Self.limit
        let cases: [(AlgebraicType, AlgebraicValue, Bool)] = [
            (.i64, .i64(l), true), (.i64, .i64(l + 1), false), (.i64, .i64(-l), true), (.i64, .i64(-l - 1), false),
            (.u64, .u64(UInt64(l)), true), (.u64, .u64(UInt64(l) + 1), false),
            (.i128, .i128(Int128(l)), true), (.i128, .i128(Int128(l) + 1), false),
            (.i128, .i128(-Int128(l)), true), (.i128, .i128(-Int128(l) - 1), false),
            (.u128, .u128(UInt128(l)), true), (.u128, .u128(UInt128(l) + 1), false),
            (.timestamp, .timestamp(Timestamp(microsSinceUnixEpoch: l)), true),
            (.timestamp, .timestamp(Timestamp(microsSinceUnixEpoch: -l - 1)), false),
            (.timeDuration, .timeDuration(TimeDuration(micros: l + 1)), false),
        ]
        for (type, value, isNumber) in cases {
            let json = value.json(type)
            switch json {
            case .number: #expect(isNumber, "\(value) should be a string")
            case .string: #expect(!isNumber, "\(value) should be a number")
            default: Issue.record("\(value) → \(json)")
            }
            #expect(try AlgebraicValue.fromJSON(try JSONValue.parse(json.text), as: type) == value)
        }
        #expect(AlgebraicValue.i64(l).json(.i64) == .number("9007199254740991"))
        #expect(AlgebraicValue.i64(l + 1).json(.i64) == .string("9007199254740992"))
        #expect(AlgebraicValue.i64(-l - 1).json(.i64) == .string("-9007199254740992"))
    }

    @Test func minAndMaxOfEveryType() throws {
        let cases: [(AlgebraicType, AlgebraicValue, String)] = [
            (.i8, .i8(.min), "-128"), (.i8, .i8(.max), "127"),
            (.u8, .u8(.min), "0"), (.u8, .u8(.max), "255"),
            (.i16, .i16(.min), "-32768"), (.i16, .i16(.max), "32767"),
            (.u16, .u16(.min), "0"), (.u16, .u16(.max), "65535"),
            (.i32, .i32(.min), "-2147483648"), (.i32, .i32(.max), "2147483647"),
            (.u32, .u32(.min), "0"), (.u32, .u32(.max), "4294967295"),
            (.i64, .i64(.min), #""-9223372036854775808""#), (.i64, .i64(.max), #""9223372036854775807""#),
            (.u64, .u64(.min), "0"), (.u64, .u64(.max), #""18446744073709551615""#),
            (.i128, .i128(.min), #""-170141183460469231731687303715884105728""#),
            (.i128, .i128(.max), #""170141183460469231731687303715884105727""#),
            (.u128, .u128(.min), "0"), (.u128, .u128(.max), #""340282366920938463463374607431768211455""#),
        ]
        for (type, value, text) in cases {
            #expect(value.json(type).text == text)
            #expect(try decode(text, type) == value)
            // Both forms are accepted: the unquoted number and the quoted string.
            let bare = text.replacingOccurrences(of: "\"", with: "")
            #expect(try decode(bare, type) == value)
            #expect(try decode("\"" + bare + "\"", type) == value)
        }
    }

    @Test func outOfRangeNamesTypeAndRange() {
        let cases: [(String, AlgebraicType, String)] = [
            ("256", .u8, "256 is out of range for u8 (0...255)"),
            ("-1", .u8, "-1 is out of range for u8 (0...255)"),
            (#""-1""#, .u8, "\"-1\" is out of range for u8 (0...255)"),
            ("-129", .i8, "-129 is out of range for i8 (-128...127)"),
            ("128", .i8, "128 is out of range for i8 (-128...127)"),
            ("65536", .u16, "65536 is out of range for u16 (0...65535)"),
            ("2147483648", .i32, "2147483648 is out of range for i32 (-2147483648...2147483647)"),
            ("4294967296", .u32, "out of range for u32"),
            ("9223372036854775808", .i64, "out of range for i64 (-9223372036854775808...9223372036854775807)"),
            (#""-9223372036854775809""#, .i64, "out of range for i64"),
            ("18446744073709551616", .u64, "out of range for u64 (0...18446744073709551615)"),
            (#""-1""#, .u64, "out of range for u64"),
            ("170141183460469231731687303715884105728", .i128, "out of range for i128"),
            ("-170141183460469231731687303715884105729", .i128, "out of range for i128"),
            ("340282366920938463463374607431768211456", .u128, "out of range for u128"),
            ("99999999999999999999999999999999999999999999", .u128, "out of range for u128"),
            ("9223372036854775808", .timestamp, "out of range for timestamp"),
        ]
        for (text, type, fragment) in cases {
            let e = mappingError(text, type)
            #expect(e?.message.contains(fragment) == true, "\(text) as \(type): \(String(describing: e))")
        }
    }

    @Test func fractionsAndExponentsAreRejected() {
        for text in ["1.5", "1.0", "1e3", "-2E+1", "0.0"] {
            let e = mappingError(text, .i64)
            #expect(e?.message.contains("without fraction or exponent") == true, "\(text): \(String(describing: e))")
        }
        for text in [#""1.5""#, #""""#, #""+1""#, #"" 1""#, #""0x10""#, #""-""#, "true", "null", "[1]"] {
            let e = mappingError(text, .u32)
            #expect(e?.message.contains("expected an integer (u32)") == true, "\(text): \(String(describing: e))")
        }
    }
}

// MARK: - Floats

@Suite struct JSONFloatTests {
    @Test func specials() throws {
        #expect(AlgebraicValue.f64(.nan).json(.f64) == .string("NaN"))
        #expect(AlgebraicValue.f64(.infinity).json(.f64) == .string("Infinity"))
        #expect(AlgebraicValue.f64(-.infinity).json(.f64) == .string("-Infinity"))
        #expect(AlgebraicValue.f32(.nan).json(.f32) == .string("NaN"))
        #expect(AlgebraicValue.f32(-.infinity).json(.f32) == .string("-Infinity"))
        #expect(try decode(#""Infinity""#, .f32) == .f32(.infinity))
        #expect(try decode(#""-Infinity""#, .f64) == .f64(-.infinity))
        guard case .f32(let x) = try decode(#""NaN""#, .f32) else { Issue.record("not f32"); return }
        #expect(x.isNaN)
        for bad in [#""nan""#, #""inf""#, #""+Infinity""#, #""1.5""#, "null", "true"] {
            let e = mappingError(bad, .f64)
            #expect(e?.message.contains("expected a number or \"NaN\"") == true, "\(bad): \(String(describing: e))")
        }
    }

    @Test func outOfRange() {
        let e = mappingError("1e39", .f32)
        #expect(e?.message == "1e39 is out of range for f32 (±3.4028235e+38)")
        #expect(mappingError("-3.5e38", .f32)?.message.contains("out of range for f32") == true)
        #expect(mappingError("1e400", .f64)?.message.contains("out of range for f64") == true)
        #expect(mappingError("[1, 1e999999999999999]", .array(.f64))?.path == "[1]")
    }

    @Test func shortestTextRoundTripsDoubles() throws {
        var rng = JSONTestRNG(state: 1)
        for _ in 0..<20_000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            let text = d.description
            let parsed = try #require(parseDouble(text), "\(text)")
            #expect(parsed.value.bitPattern == d.bitPattern, "\(text)")
        }
    }

    @Test func shortestTextRoundTripsFloats() throws {
        var rng = JSONTestRNG(state: 2)
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            guard f.isFinite else { continue }
            let text = f.description
            let parsed = try #require(parseFloat(text), "\(text)")
            #expect(parsed.value.bitPattern == f.bitPattern, "\(text)")
        }
    }

    /// Long and hard decimal texts, compared with the standard library's (strtod-based) parser.
    @Test func longDecimalsMatchTheStandardLibrary() throws {
        var rng = JSONTestRNG(state: 3)
        var texts = [
            "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9406564584124654e-324",
            "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623157e308",
            "1.7976931348623158e308", "9007199254740993", "9007199254740992.5", "0.30000000000000004",
            "1e23", "8.98846567431158e307", "123456789012345678901234567890e-50",
            "7.038531e-26", "3.4028235677973366e38", "1.1754943508222875e-38", "1.401298464324817e-45",
            "0." + String(repeating: "0", count: 400) + "1e400",
            // Exactly halfway between two doubles, then just above (a digit at position > 800).
            "9007199254740993", "9007199254740993." + String(repeating: "0", count: 900) + "1",
        ]
        for _ in 0..<3_000 {
            let digits = Int(rng.next() % 40) + 1
            var s = rng.next() % 2 == 0 ? "" : "-"
            for i in 0..<digits {
                s += String(i == 0 ? rng.next() % 9 + 1 : rng.next() % 10)
                if i == 0, digits > 1, rng.next() % 2 == 0 { s += "." }
            }
            s += "e" + String(Int(rng.next() % 700) - 350)
            texts.append(s)
        }
        for text in texts {
            let d = try #require(parseDouble(text))
            let expected = try #require(Double(text))
            #expect(d.value.bitPattern == expected.bitPattern || (d.overflow && expected.isInfinite), "\(text)")
            let f = try #require(parseFloat(text))
            let expectedF = try #require(Float(text))
            #expect(f.value.bitPattern == expectedF.bitPattern || (f.overflow && expectedF.isInfinite), "f32 \(text)")
        }
    }
}

// MARK: - Parser and printer

@Suite struct JSONParserTests {
    @Test func parsesEverything() throws {
        let v = try parse(#" { "a" : [1, -2.5e+3, true, false, null, "x\u0041\n"], "b": {}, "c": [], "a": 0 } "#)
        let expected: JSONValue = [
            "a": [1, .number("-2.5e+3"), true, false, nil, "xA\n"], "b": .object([]), "c": [], "a": 0,
        ]
        #expect(v == expected)
        #expect(v["a"]?[1]?.numberText == "-2.5e+3")
        #expect(v["b"]?.objectMembers?.count == 0)
        #expect(v["zzz"] == nil)
        #expect(v.text == #"{"a":[1,-2.5e+3,true,false,null,"xA\n"],"b":{},"c":[],"a":0}"#)
        #expect(try parse("  42 ") == 42)
        #expect(try parse("\"\"") == "")
        #expect(try parse("-0") == .number("-0"))
        #expect(try parse("123456789012345678901234567890") == .number("123456789012345678901234567890"))
        // Key order matters for equality; content matters for hashing.
        #expect(try parse(#"{"a":1,"b":2}"#) != parse(#"{"b":2,"a":1}"#))
        #expect(Set([try parse(#"{"a":[1]}"#), try parse(#" {"a": [1] }"#)]).count == 1)
    }

    @Test func errorsCarryOffsets() {
        let cases: [(String, Int, String)] = [
            ("", 0, "unexpected end of input: expected a value"),
            ("[1,2", 4, "unexpected end of input: expected ',' or ']'"),
            (#"{"a":1"#, 6, "unexpected end of input: expected ',' or '}'"),
            (#"{"a""#, 4, "unexpected end of input: expected ':'"),
            (#""abc"#, 4, "unexpected end of input in a string"),
            ("[1,2,]", 5, "trailing comma before ']'"),
            (#"{"a":1,}"#, 7, "trailing comma before '}'"),
            ("[1 2]", 3, "expected ',' or ']', found '2'"),
            (#"{"a":1 "b":2}"#, 7, "expected ',' or '}', found '\"'"),
            (#"{"a" 1}"#, 5, "expected ':', found '1'"),
            ("{1:2}", 1, "expected a string key, found '1'"),
            (#""a\x""#, 2, "invalid escape \\'x' in a string"),
            (#""\u12G4""#, 5, "invalid \\u escape: expected 4 hex digits, found 'G'"),
            (#""ab\uD83D""#, 3, "lone high surrogate \\uD83D in a string (not followed by a low surrogate)"),
            (#""\uD83Dx""#, 1, "lone high surrogate"),
            (#""\uD83D\u0041""#, 1, "lone high surrogate"),
            (#""\uDC26""#, 1, "lone low surrogate \\uDC26 in a string"),
            ("01", 0, "leading zeros are not allowed in numbers"),
            ("-01", 1, "leading zeros are not allowed in numbers"),
            ("[00]", 1, "leading zeros"),
            ("1.", 2, "unexpected end of input: expected a digit after '.'"),
            (".5", 0, "expected a value, found '.'"),
            ("+1", 0, "expected a value, found '+'"),
            ("1e", 2, "expected a digit in the exponent"),
            ("-", 1, "expected a digit"),
            ("tru", 3, "unexpected end of input in 'true'"),
            ("nul1", 0, "invalid literal (expected 'null')"),
            ("NaN", 0, "expected a value, found 'N'"),
            ("1 2", 2, "unexpected '2' after the value"),
            ("[1]]", 3, "unexpected ']' after the value"),
            ("\"a\nb\"", 2, "control character U+000A must be escaped in a string"),
            ("\"\u{1F}\"", 1, "control character U+001F must be escaped"),
            ("[1,\u{0B}2]", 3, "expected a value, found byte 0xb"),
            ("// c\n1", 0, "expected a value, found '/'"),
        ]
        for (text, offset, fragment) in cases {
            guard let e = parseError(text) else { continue }
            #expect(e.offset == offset, "\(text.debugDescription): \(e)")
            #expect(e.message.contains(fragment), "\(text.debugDescription): \(e)")
        }
        #expect(parseError("[1,2 x")?.description == "expected ',' or ']', found 'x' at byte 5")
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        _ = try parse(ok)
        let tooDeep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        let e = parseError(tooDeep)
        #expect(e?.offset == 128)
        #expect(e?.message == "arrays and objects nest deeper than 128 levels")
        let objects = String(repeating: #"{"a":"#, count: 129) + "1" + String(repeating: "}", count: 129)
        #expect(parseError(objects)?.offset == 128 * 5)
        // A very deep input fails fast and without overflowing the stack.
        #expect(parseError(String(repeating: "[", count: 1_000_000))?.offset == 128)
    }

    @Test func invalidUTF8() {
        for (bytes, offset) in [([0x22, 0x61, 0xFF, 0x22] as [UInt8], 2), ([0x22, 0xC3, 0x22], 1), ([0xEF, 0xBB, 0xBF, 0x31], 0)] {
            do {
                _ = try JSONValue.parse(utf8: bytes)
                Issue.record("parsed \(bytes)")
            } catch {
                #expect(error.offset == offset, "\(bytes): \(error)")
            }
        }
    }

    @Test func unicodeStrings() throws {
        #expect(try parse(#""\uD83D\uDC26""#) == "🐦")
        #expect(try parse(#""\ud83d\udc26 \u00e9\u0000""#) == "🐦 é\u{0}")
        #expect(try parse("\"🐦 é 日本\"") == "🐦 é 日本")
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{8}\u{C}\n\r\t")
        // Printer: escapes what it must, UTF-8 for the rest.
        let s: JSONValue = .string("a\"b\\c/\n\t\r\u{8}\u{C}\u{0}\u{1F}\u{7F} é 🐦 \u{2028}")
        #expect(s.text == "\"a\\\"b\\\\c/\\n\\t\\r\\b\\f\\u0000\\u001f\u{7F} é 🐦 \u{2028}\"")
        #expect(try parse(s.text) == s)
        // Every control character survives printing and parsing.
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        #expect(try parse(JSONValue.string(controls).text) == .string(controls))
        // Mapping keeps strings intact.
        #expect(try decode(#""\uD83D\uDC26 ok""#, .string) == .string("🐦 ok"))
        #expect(AlgebraicValue.string("🐦").json(.string).utf8 == [0x22, 0xF0, 0x9F, 0x90, 0xA6, 0x22])
    }

    @Test func literalsAndAccessors() {
        let v: JSONValue = ["n": nil, "b": true, "i": 3, "f": 1.5, "s": "x", "a": [1, 2]]
        #expect(v["n"]?.isNull == true)
        #expect(v["b"]?.boolValue == true)
        #expect(v["i"]?.numberText == "3")
        #expect(v["f"]?.numberText == "1.5")
        #expect(v["f"]?.doubleValue == 1.5)
        #expect(JSONValue.number("1e400").doubleValue == .infinity)
        #expect(JSONValue.string("1").doubleValue == nil)
        #expect(v["s"]?.stringValue == "x")
        #expect(v["a"]?.arrayValue?.count == 2)
        #expect(v["a"]?[5] == nil)
        #expect(v.objectMembers?.map(\.key) == ["n", "b", "i", "f", "s", "a"])
        #expect(JSONValue.integer(UInt128.max).numberText == "340282366920938463463374607431768211455")
        #expect(JSONValue.string(String(repeating: "x", count: 100)).briefDescription.count < 50)
    }
}

// MARK: - Mapping errors

@Suite struct JSONMappingErrorTests {
    let gameType: AlgebraicType = .product(ProductType([
        .init("players", .array(.product(ProductType([.init("name", .string), .init("score", .u32)])))),
        .init("shape", .sum(shapeType)),
        .init("owner", .option(.identity)),
    ]))

    @Test func wrongTypeNamesThePath() {
        let e = mappingError(
            #"{"players":[{"name":"a","score":1},{"name":"b","score":2},{"name":12,"score":3}],"shape":"empty"}"#, gameType)
        #expect(e?.path == ".players[2].name")
        #expect(e?.description == "at `.players[2].name`: expected a string, found 12")
        let cases: [(String, AlgebraicType, String, String)] = [
            ("1", .bool, "", "expected a bool, found 1"),
            (#""x""#, .array(.i32), "", "expected an array, found \"x\""),
            (#"[1,"a",3]"#, .array(.i32), "[1]", "expected an integer (i32): a number or a decimal string, found \"a\""),
            ("[1,{},3]", .array(.i32), "[1]", "expected an integer (i32), found an object with 0 keys"),
            ("5", .product(pointType), "", "expected an object or an array (a product), found 5"),
            (#"{"rect":{"w":1,"h":true}}"#, .sum(shapeType), ".rect.h", "expected an integer (u16), found true"),
            (#"{"some":"x"}"#, .option(.option(.i32)), ".some", "expected an integer (i32)"),
            ("5", .option(.option(.i32)), "", #"expected null, {"some": …} or {"none": …} (a nested option), found 5"#),
            ("[[1],[2,\"q\"]]", .array(.array(.u8)), "[1][1]", "expected an integer (u8)"),
            (#"{"a b":1}"#, .product(ProductType([.init("a b", .string)])), #"["a b"]"#, "expected a string, found 1"),
            (#"{"0":1}"#, .product(ProductType([.init(nil, .string)])), #"["0"]"#, "expected a string, found 1"),
            (#"{"interval":"x"}"#, .scheduleAt, ".interval", "expected an integer (time duration)"),
            (#"{"every":5}"#, .scheduleAt, "", #"unknown ScheduleAt variant "every" (expected "interval" or "time")"#),
            ("5", .scheduleAt, "", #"expected {"interval": micros} or {"time": micros}, found 5"#),
            ("true", .timestamp, "", "expected an integer (timestamp), found true"),
            ("1e3", .timeDuration, "", "without fraction or exponent"),
        ]
        for (text, type, path, fragment) in cases {
            guard let e = mappingError(text, type) else { continue }
            #expect(e.path == path, "\(text): \(e)")
            #expect(e.message.contains(fragment), "\(text): \(e)")
        }
        #expect(mappingError("1", .bool)?.description == "at the top level: expected a bool, found 1")
    }

    @Test func fieldErrors() {
        let unknown = mappingError(#"{"players":[{"name":"a","score":1,"rank":2}],"shape":"empty"}"#, gameType)
        #expect(unknown?.path == ".players[0]")
        #expect(unknown?.message == #"unknown field "rank" (expected one of "name", "score")"#)
        let missing = mappingError(#"{"players":[{"name":"a"}],"shape":"empty"}"#, gameType)
        #expect(missing?.path == ".players[0]")
        #expect(missing?.message == #"missing field "score""#)
        #expect(mappingError(#"{"players":[]}"#, gameType)?.message == #"missing field "shape""#)
        let twice = mappingError(#"{"players":[],"shape":"empty","players":[]}"#, gameType)
        #expect(twice?.message == #"field "players" appears twice"#)
        #expect(mappingError(#"{"x":1}"#, .product(ProductType([])))?.message == #"unknown field "x" (the type has none)"#)
    }

    @Test func variantErrors() {
        let bad = mappingError(#"{"players":[],"shape":{"triangle":1}}"#, gameType)
        #expect(bad?.path == ".shape")
        #expect(bad?.message == #"unknown variant "triangle" (expected one of "circle", "rect", "empty")"#)
        #expect(mappingError(#""triangle""#, .sum(shapeType))?.message.hasPrefix(#"unknown variant "triangle""#) == true)
        #expect(mappingError(#""circle""#, .sum(shapeType))?.message == #"variant "circle" carries a payload; write {"circle": …}"#)
        #expect(mappingError(#"{"circle":1,"rect":[1,2]}"#, .sum(shapeType))?.message.contains("exactly one key") == true)
        #expect(mappingError("{}", .sum(shapeType))?.message.contains("exactly one key") == true)
        #expect(mappingError(#"{"circle":null}"#, .sum(shapeType))?.path == ".circle")
        #expect(mappingError(#"{"empty":5}"#, .sum(shapeType))?.path == ".empty")
        #expect(mappingError(#"{"0":"x"}"#, .sum(colorType))?.message.contains(#"expected one of "red", "green", "2""#) == true)
    }

    @Test func hexErrors() {
        #expect(mappingError(#""abc""#, .bytes)?.message.contains("even number of hex digits") == true)
        #expect(mappingError(#""zz""#, .bytes)?.message == #"invalid hex digit in bytes "zz""#)
        #expect(mappingError("[1,2]", .bytes)?.message == "expected a hex string (bytes), found an array of 2 elements")
        #expect(mappingError(#""xyz""#, .identity)?.message.contains("expected an identity (a string of 1 to 64 hex digits)") == true)
        #expect(mappingError("\"" + String(repeating: "1", count: 65) + "\"", .identity) != nil)
        #expect(mappingError(#""""#, .identity) != nil)
        #expect(mappingError("\"" + String(repeating: "f", count: 33) + "\"", .connectionId)?.message.contains("connection id") == true)
        #expect(mappingError("12", .connectionId) != nil)
        let nested = mappingError(#"{"players":[],"shape":"empty","owner":"0xg"}"#, gameType)
        #expect(nested?.path == ".owner")
    }
}

// MARK: - Rows

@Suite struct JSONRowTests {
    let row = ProductType([.init("id", .u64), .init("name", .string), .init("nick", .option(.string)), .init("pos", .product(pointType))])

    @Test func objectAndPositionalForms() throws {
        let expected = AlgebraicValue.product([.u64(7), .string("ann"), .option(nil), .product([.i32(1), .i32(2)])])
        let asObject = try AlgebraicValue.productFromJSON(try parse(#"{"pos":{"y":2,"x":1},"name":"ann","id":7}"#), as: row)
        #expect(asObject == expected)
        let asArray = try AlgebraicValue.productFromJSON(try parse(#"[7,"ann",null,[1,2]]"#), as: row)
        #expect(asArray == expected)
        let withNick = try AlgebraicValue.productFromJSON(try parse(#"{"id":"7","name":"ann","nick":"a","pos":[1,2]}"#), as: row)
        #expect(withNick == .product([.u64(7), .string("ann"), .option(.string("a")), .product([.i32(1), .i32(2)])]))
        // json() writes the object form, in field order.
        #expect(expected.json(.product(row)).text == #"{"id":7,"name":"ann","nick":null,"pos":{"x":1,"y":2}}"#)
    }

    @Test func rowErrors() throws {
        func error(_ text: String) throws -> JSONMappingError? {
            let json = try parse(text)
            do {
                _ = try AlgebraicValue.productFromJSON(json, as: row)
                return nil
            } catch { return error }
        }
        #expect(try error(#"[7,"ann",null]"#)?.message == "expected 4 values (one per field), found 3")
        #expect(try error(#"[7,"ann",null,[1,2],5]"#)?.message == "expected 4 values (one per field), found 5")
        #expect(try error(#"[7,"ann",null,[1]]"#)?.description == "at `[3]`: expected 2 values (one per field), found 1")
        #expect(try error(#"[7,5,null,[1,2]]"#)?.path == "[1]")
        #expect(try error(#"{"id":7,"pos":[1,2]}"#)?.message == #"missing field "name""#)
        #expect(try error(#"{"id":7,"name":"a","pos":[1,2],"extra":1}"#)?.message.hasPrefix(#"unknown field "extra""#) == true)
        #expect(try error(#""row""#)?.message == "expected an object or an array (a product), found \"row\"")
    }
}

// MARK: - Oracle vectors

/// A malformed oracle file.
private struct JSONTestFormatError: Error { var message: String }

/// Reads the BSATN oracle's type language (see Resources/bsatn-vectors.json) with our own parser.
private func jsonOracleType(_ j: JSONValue) throws -> AlgebraicType {
    if case .string(let name) = j {
        let names: [String: AlgebraicType] = [
            "bool": .bool, "i8": .i8, "u8": .u8, "i16": .i16, "u16": .u16, "i32": .i32, "u32": .u32, "i64": .i64,
            "u64": .u64, "i128": .i128, "u128": .u128, "f32": .f32, "f64": .f64, "string": .string, "bytes": .bytes,
            "identity": .identity, "connection_id": .connectionId, "timestamp": .timestamp,
            "time_duration": .timeDuration,
        ]
        return try #require(names[name], "type \(name)")
    }
    switch try #require(j["kind"]?.stringValue) {
    case "array": return .array(try jsonOracleType(try #require(j["of"])))
    case "option": return .option(try jsonOracleType(try #require(j["of"])))
    case "schedule_at": return .scheduleAt
    case "product":
        return .product(ProductType(try #require(j["fields"]?.arrayValue).map { f in
            .init(f["name"]?.stringValue, try jsonOracleType(try #require(f["type"])))
        }))
    case "sum":
        return .sum(SumType(try #require(j["variants"]?.arrayValue).map { v in
            let t = try #require(v["type"])
            return .init(v["name"]?.stringValue, t.isNull ? .unit : try jsonOracleType(t))
        }))
    case let k: throw JSONTestFormatError(message: "unknown type kind \(k)")
    }
}

@Suite struct JSONOracleVectorTests {
    /// Every oracle vector's value reads with our mapping, encodes to the oracle's BSATN, and
    /// round-trips through our JSON form.
    @Test func oracleValuesReadAndRoundTrip() throws {
        let url = try #require(Bundle.module.url(forResource: "bsatn-vectors", withExtension: "json", subdirectory: "Resources"))
        let doc = try JSONValue.parse(utf8: Array(try Data(contentsOf: url)))
        let vectors = try #require(doc["vectors"]?.arrayValue)
        #expect(vectors.count >= 80)
        for v in vectors {
            let name = v["name"]?.stringValue ?? "?"
            let type = try jsonOracleType(try #require(v["type"]))
            let value = try AlgebraicValue.fromJSON(try #require(v["value"]), as: type)
            #expect(lowercaseHex(value.bsatn) == v["hex"]?.stringValue, "\(name)")
            let text = value.json(type).text
            let back = try AlgebraicValue.fromJSON(try JSONValue.parse(text), as: type)
            #expect(sameValue(back, value), "\(name): \(text)")
        }
    }
}

// MARK: - Randomized

/// Random types, values and JSON documents for property tests.
private struct JSONRandom {
    var rng: JSONTestRNG

    mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    mutating func string() -> String {
        let pool = ["", "a", "some", "none", "héllo", "🐦", "\u{0}\u{1F}", "\"\\/", "\n\t", "日本", "\u{7F}\u{2028}"]
        return (0..<int(3)).map { _ in pool[int(pool.count)] }.joined()
    }

    mutating func type(depth: Int) -> AlgebraicType {
        let leaves: [AlgebraicType] = [
            .bool, .i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64, .i128, .u128, .f32, .f64, .string, .bytes,
            .identity, .connectionId, .timestamp, .timeDuration, .scheduleAt,
        ]
        guard depth > 0, int(3) > 0 else { return leaves[int(leaves.count)] }
        let names: [String?] = ["a", "b", "some", "none", "x y", nil, nil]
        switch int(4) {
        case 0: return .array(type(depth: depth - 1))
        case 1: return .option(type(depth: depth - 1))
        case 2:
            var fields: [ProductType.Field] = []
            for _ in 0..<int(4) {
                let n = names[int(names.count)]
                fields.append(.init(fields.contains { $0.name != nil && $0.name == n } ? nil : n, type(depth: depth - 1)))
            }
            return .product(ProductType(fields))
        default:
            var variants: [SumType.Variant] = []
            for _ in 0..<(1 + int(3)) {
                let n = names[int(names.count)]
                let t = int(2) == 0 ? AlgebraicType.unit : type(depth: depth - 1)
                variants.append(.init(variants.contains { $0.name != nil && $0.name == n } ? nil : n, t))
            }
            return .sum(SumType(variants))
        }
    }

    mutating func value(_ t: AlgebraicType) -> AlgebraicValue {
        let r = rng.next()
        switch t {
        case .bool: return .bool(r & 1 == 1)
        case .i8: return .i8(Int8(truncatingIfNeeded: r))
        case .u8: return .u8(UInt8(truncatingIfNeeded: r))
        case .i16: return .i16(Int16(truncatingIfNeeded: r))
        case .u16: return .u16(UInt16(truncatingIfNeeded: r))
        case .i32: return .i32(Int32(truncatingIfNeeded: r))
        case .u32: return .u32(UInt32(truncatingIfNeeded: r))
        case .i64: return .i64(Int64(bitPattern: r) >> (r % 64))
        case .u64: return .u64(r >> (rng.next() % 64))
        case .i128: return .i128(Int128(Int64(bitPattern: r)) << (rng.next() % 64))
        case .u128: return .u128(UInt128(r) << (rng.next() % 65))
        case .f32: return .f32(Float(bitPattern: UInt32(truncatingIfNeeded: r)))
        case .f64: return .f64(Double(bitPattern: r))
        case .string: return .string(string())
        case .bytes: return .bytes((0..<int(5)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        case .array(let e): return .array((0..<int(4)).map { _ in value(e) })
        case .option(let e): return .option(int(3) == 0 ? nil : value(e))
        case .product(let p): return .product(p.fields.map { value($0.type) })
        case .sum(let s):
            let tag = int(s.variants.count)
            return .sum(tag: UInt8(tag), value: value(s.variants[tag].type))
        case .identity: return .identity(Identity(limbs: (r, rng.next(), 0, r >> 3)))
        case .connectionId: return .connectionId(ConnectionId(UInt128(r) << 64 | UInt128(rng.next())))
        case .timestamp: return .timestamp(Timestamp(microsSinceUnixEpoch: Int64(bitPattern: r) >> (r % 64)))
        case .timeDuration: return .timeDuration(TimeDuration(micros: Int64(bitPattern: r) >> (r % 64)))
        case .scheduleAt:
            return .scheduleAt(r & 1 == 0 ? .interval(TimeDuration(micros: Int64(bitPattern: r))) : .time(Timestamp(microsSinceUnixEpoch: 5)))
        }
    }

    mutating func json(depth: Int) -> JSONValue {
        switch int(depth > 0 ? 7 : 5) {
        case 0: return .null
        case 1: return .bool(int(2) == 0)
        case 2:
            let numbers = [String(Int64(bitPattern: rng.next())), Double(bitPattern: rng.next() >> 2).description, "0", "-0", "1e-7", "12.5E+300"]
            return .number(numbers[int(numbers.count)])
        case 3, 4: return .string(string())
        case 5: return .array((0..<int(4)).map { _ in json(depth: depth - 1) })
        default: return .object((0..<int(4)).map { _ in (key: string(), value: json(depth: depth - 1)) })
        }
    }
}

@Suite struct JSONRandomizedTests {
    @Test func randomTypesAndValuesRoundTrip() throws {
        var g = JSONRandom(rng: JSONTestRNG(state: 42))
        for _ in 0..<3_000 {
            let type = g.type(depth: 4)
            let value = g.value(type)
            #expect(value.conforms(to: type))
            let text = value.json(type).text
            let back = try AlgebraicValue.fromJSON(try JSONValue.parse(text), as: type)
            #expect(sameValue(back, value), "\(type): \(text)")
        }
    }

    @Test func randomDocumentsPrintAndParse() throws {
        var g = JSONRandom(rng: JSONTestRNG(state: 7))
        for _ in 0..<3_000 {
            let doc = g.json(depth: 4)
            #expect(try JSONValue.parse(doc.text) == doc, "\(doc.text)")
        }
    }

    /// Corrupted documents either parse or fail with an offset inside the input; never crash.
    @Test func mutatedDocumentsFailCleanly() {
        var g = JSONRandom(rng: JSONTestRNG(state: 9))
        let alphabet = Array(#"{}[],:"\u0123456789-+.eEtrufalsn x"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xFF]
        for _ in 0..<5_000 {
            var bytes = g.json(depth: 3).utf8
            for _ in 0...g.int(3) {
                let i = bytes.isEmpty ? 0 : g.int(bytes.count)
                switch g.int(3) {
                case 0 where !bytes.isEmpty: bytes[i] = alphabet[g.int(alphabet.count)]
                case 1 where !bytes.isEmpty: bytes.remove(at: i)
                default: bytes.insert(alphabet[g.int(alphabet.count)], at: i)
                }
            }
            do {
                let v = try JSONValue.parse(utf8: bytes)
                #expect(try JSONValue.parse(v.text) == v)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(bytes): \(error)")
            }
        }
    }
}
