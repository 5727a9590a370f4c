import Foundation
import Testing

@testable import StarlingTypes

// Tests for the JSON document model (parser, printer) and the AlgebraicValue ↔ JSON mapping
// described in docs/JSON.md.

// MARK: - Fixtures

let pointType = ProductType([.init("x", .i32), .init("y", .i32)])
let shapeType = SumType([
    .init("circle", .f32),
    .init("rect", .product(ProductType([.init("w", .u16), .init("h", .u16)]))),
    .init("empty"),
])
let colorType = SumType([.init("red"), .init("green"), .init(nil, .string)])
let sampleIdentity = Identity(littleEndianBytes: (0..<32).map { UInt8($0 * 7 & 0xFF) })!
let sampleConnection = ConnectionId(0x0123_4567_89ab_cdef_0011_2233_4455_6677)

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

let roundTripCases: [JSONRoundTripCase] = [
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
func sameValue(_ a: AlgebraicValue, _ b: AlgebraicValue) -> Bool {
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

func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

func decode(_ text: String, _ type: AlgebraicType) throws -> AlgebraicValue {
    try AlgebraicValue.fromJSON(try JSONValue.parse(text), as: type)
}

/// The parse error for `text` (fails the test when it parses).
func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONError? {
    do {
        let v = try JSONValue.parse(text)
        Issue.record("expected a parse error for \(text), got \(v)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The mapping error for `text` as `type` (fails the test when it decodes).
func mappingError(_ text: String, _ type: AlgebraicType, sourceLocation: SourceLocation = #_sourceLocation) -> JSONMappingError? {
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

typealias JSONTestRNG = SplitMix64

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
        var rng = JSONTestRNG(seed: 1)
        for _ in 0..<20_000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            let text = d.description
            let parsed = try #require(parseDouble(text), "\(text)")
            #expect(parsed.value.bitPattern == d.bitPattern, "\(text)")
        }
    }

    @Test func shortestTextRoundTripsFloats() throws {
        var rng = JSONTestRNG(seed: 2)
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
        var rng = JSONTestRNG(seed: 3)
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
