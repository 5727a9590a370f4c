public import StarlingTypes

/// Parses the type strings of the schema JSON (`GET /v1/database/:name/schema`), which the server
/// writes with `AlgebraicType.description`: `u64`, `array<string>`, `option<(x: f32, y: f32)>`,
/// `{circle: f64 | rect: (width: f64, height: f64) | point}`.
///
/// Grammar (whitespace allowed between tokens):
/// ```
/// type    := primitive | "array<" type ">" | "option<" type ">" | product | sum
/// product := "(" [ field { "," field } ] ")"        field   := name ":" type
/// sum     := "{" [ variant { "|" variant } ] "}"    variant := name [ ":" type ]
/// ```
/// A variant without a type carries no data (its payload is the empty product). The server
/// prints unnamed members by their index; they parse as members named `"0"`, `"1"`, …, which
/// changes nothing about their BSATN.
public enum TypeString {
    /// The type `text` describes.
    public static func parse(_ text: String) throws(StarlingError) -> AlgebraicType {
        var p = Parser(Array(text.utf8), text: text)
        let t = try p.type(depth: 0)
        p.skipSpace()
        guard p.at == p.bytes.count else { throw p.error("unexpected text after the type") }
        return t
    }

    private static let primitives: [String: AlgebraicType] = [
        "bool": .bool, "i8": .i8, "u8": .u8, "i16": .i16, "u16": .u16, "i32": .i32, "u32": .u32, "i64": .i64, "u64": .u64,
        "i128": .i128, "u128": .u128, "f32": .f32, "f64": .f64, "string": .string, "bytes": .bytes, "identity": .identity,
        "connection_id": .connectionId, "timestamp": .timestamp, "time_duration": .timeDuration, "schedule_at": .scheduleAt,
    ]

    private struct Parser {
        let bytes: [UInt8]
        let text: String
        var at = 0

        init(_ bytes: [UInt8], text: String) {
            self.bytes = bytes
            self.text = text
        }

        func error(_ what: String) -> StarlingError {
            StarlingError(.schemaMismatch, "cannot parse the type `\(text)` at offset \(at): \(what)")
        }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x09 || bytes[at] == 0x0A || bytes[at] == 0x0D { at += 1 }
        }

        mutating func eat(_ c: Character) -> Bool {
            skipSpace()
            guard at < bytes.count, bytes[at] == c.asciiValue else { return false }
            at += 1
            return true
        }

        mutating func expect(_ c: Character) throws(StarlingError) {
            guard eat(c) else { throw error("expected `\(c)`") }
        }

        /// A name or keyword: every byte up to a delimiter.
        mutating func word() -> String {
            skipSpace()
            let start = at
            let delimiters: Set<UInt8> = Set("()<>{}|,: \t\r\n".utf8)
            while at < bytes.count, !delimiters.contains(bytes[at]) { at += 1 }
            return String(decoding: bytes[start..<at], as: UTF8.self)
        }

        mutating func type(depth: Int) throws(StarlingError) -> AlgebraicType {
            guard depth < AlgebraicType.maxDecodeDepth else { throw error("types nest too deeply") }
            if eat("(") { return .product(ProductType(try members(close: ")", separator: ",", depth: depth).map { .init($0.0, $0.1) })) }
            if eat("{") { return .sum(SumType(try members(close: "}", separator: "|", depth: depth).map { .init($0.0, $0.1) })) }
            let name = word()
            if name == "array" || name == "option" {
                try expect("<")
                let inner = try type(depth: depth + 1)
                try expect(">")
                return name == "array" ? .array(inner) : .option(inner)
            }
            guard let t = TypeString.primitives[name] else {
                throw error(name.isEmpty ? "expected a type" : "unknown type `\(name)`")
            }
            return t
        }

        /// The members of a product (`close` = `)`) or a sum (`}`); a sum's members may omit the type.
        mutating func members(close: Character, separator: Character, depth: Int) throws(StarlingError) -> [(String, AlgebraicType)] {
            var out: [(String, AlgebraicType)] = []
            if eat(close) { return out }
            repeat {
                let name = word()
                guard !name.isEmpty else { throw error("expected a member name") }
                if eat(":") {
                    out.append((name, try type(depth: depth + 1)))
                } else if close == "}" {
                    out.append((name, .unit))
                } else {
                    throw error("expected `:` after field `\(name)`")
                }
            } while eat(separator)
            try expect(close)
            return out
        }
    }
}

extension AlgebraicType {
    /// Whether values of the two types have the same BSATN (member names aside; `bytes` and
    /// `array<u8>` are the same on the wire).
    func sameShape(as other: AlgebraicType) -> Bool {
        switch (self, other) {
        case (.bytes, .array(.u8)), (.array(.u8), .bytes): return true
        case (.array(let a), .array(let b)), (.option(let a), .option(let b)): return a.sameShape(as: b)
        case (.product(let a), .product(let b)):
            return a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.type.sameShape(as: $1.type) }
        case (.sum(let a), .sum(let b)):
            return a.variants.count == b.variants.count && zip(a.variants, b.variants).allSatisfy { $0.type.sameShape(as: $1.type) }
        default: return self == other
        }
    }
}
