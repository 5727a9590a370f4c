import Foundation
import Testing

@testable import StarlingTypes

// Tests for the JSON document model (parser, printer) and the AlgebraicValue ↔ JSON mapping
// described in docs/JSON.md.


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
struct JSONTestFormatError: Error { var message: String }

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
struct JSONRandom {
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
        var g = JSONRandom(rng: JSONTestRNG(seed: 42))
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
        var g = JSONRandom(rng: JSONTestRNG(seed: 7))
        for _ in 0..<3_000 {
            let doc = g.json(depth: 4)
            #expect(try JSONValue.parse(doc.text) == doc, "\(doc.text)")
        }
    }

    /// Corrupted documents either parse or fail with an offset inside the input; never crash.
    @Test func mutatedDocumentsFailCleanly() {
        var g = JSONRandom(rng: JSONTestRNG(seed: 9))
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
