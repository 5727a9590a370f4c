/// The JSON parser: strict RFC 8259.
///
/// Accepts exactly one value (of any kind) surrounded by optional whitespace (space, tab, LF,
/// CR). Rejects trailing commas, leading zeros (`01`, `-01`), `+1`, `.5`, `1.`, `NaN`, unescaped
/// control characters (below U+0020) in strings, unknown escapes, lone surrogates in `\u`
/// escapes, invalid UTF-8, a byte-order mark, comments, and nesting deeper than
/// ``JSONValue/maxDepth`` arrays/objects. Every failure is a ``JSONError`` with the byte offset.
extension JSONValue {
    /// Arrays and objects may nest at most this deep (the 129th level is an error).
    public static let maxDepth = 128

    /// Parses a JSON text.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var text = text
        var result: Result<JSONValue, JSONError>?
        text.withUTF8 { p in
            result = Result { () throws(JSONError) -> JSONValue in
                var parser = JSONParser(UnsafeRawBufferPointer(p))
                return try parser.parseDocument()
            }
        }
        return try result!.get()
    }

    /// Parses a JSON text given as UTF-8 bytes (the bytes are checked to be valid UTF-8).
    public static func parse(utf8 bytes: some ContiguousBytes) throws(JSONError) -> JSONValue {
        try bytes.withBytes { (buf: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue in
            if let bad = firstInvalidUTF8(buf) { throw JSONError("invalid UTF-8", offset: bad) }
            var parser = JSONParser(buf)
            return try parser.parseDocument()
        }
    }
}

/// A recursive-descent parser over valid UTF-8 bytes.
struct JSONParser {
    let buf: UnsafeRawBufferPointer
    var pos = 0
    var depth = 0

    init(_ buf: UnsafeRawBufferPointer) { self.buf = buf }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let v = try parseValue()
        skipWhitespace()
        guard pos == buf.count else { throw JSONError("unexpected \(describe(pos)) after the value", offset: pos) }
        return v
    }

    private mutating func skipWhitespace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    /// "end of input", "'x'" or "byte 0xNN" for the byte at `i`.
    private func describe(_ i: Int) -> String {
        guard i < buf.count else { return "end of input" }
        let c = buf[i]
        if c >= 0x21, c < 0x7F { return "'" + String(decoding: [c], as: UTF8.self) + "'" }
        return "byte 0x" + String(c, radix: 16)
    }

    private func fail(_ expected: String) -> JSONError {
        if pos >= buf.count { return JSONError("unexpected end of input: expected \(expected)", offset: pos) }
        return JSONError("expected \(expected), found \(describe(pos))", offset: pos)
    }

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        guard pos < buf.count else { throw fail("a value") }
        switch buf[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("a value")
        }
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(JSONError) -> JSONValue {
        let start = pos
        for c in word.utf8 {
            guard pos < buf.count else { throw JSONError("unexpected end of input in '\(word)'", offset: pos) }
            guard buf[pos] == c else { throw JSONError("invalid literal (expected '\(word)')", offset: start) }
            pos += 1
        }
        return value
    }

    private mutating func enter() throws(JSONError) {
        depth += 1
        guard depth <= JSONValue.maxDepth else {
            throw JSONError("arrays and objects nest deeper than \(JSONValue.maxDepth) levels", offset: pos)
        }
    }

    private mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        pos += 1  // [
        var xs: [JSONValue] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(xs)
        }
        while true {
            skipWhitespace()
            xs.append(try parseValue())
            skipWhitespace()
            guard pos < buf.count else { throw fail("',' or ']'") }
            if buf[pos] == UInt8(ascii: ",") {
                pos += 1
                skipWhitespace()
                if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
                    throw JSONError("trailing comma before ']'", offset: pos)
                }
                continue
            }
            guard buf[pos] == UInt8(ascii: "]") else { throw fail("',' or ']'") }
            pos += 1
            depth -= 1
            return .array(xs)
        }
    }

    private mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        pos += 1  // {
        var ms: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(ms)
        }
        while true {
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw fail("a string key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw fail("':'") }
            pos += 1
            skipWhitespace()
            ms.append((key: key, value: try parseValue()))
            skipWhitespace()
            guard pos < buf.count else { throw fail("',' or '}'") }
            if buf[pos] == UInt8(ascii: ",") {
                pos += 1
                skipWhitespace()
                if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
                    throw JSONError("trailing comma before '}'", offset: pos)
                }
                continue
            }
            guard buf[pos] == UInt8(ascii: "}") else { throw fail("',' or '}'") }
            pos += 1
            depth -= 1
            return .object(ms)
        }
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = pos
        if buf[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buf.count, isDigit(buf[pos]) else { throw fail("a digit") }
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buf.count, isDigit(buf[pos]) {
                throw JSONError("leading zeros are not allowed in numbers", offset: pos - 1)
            }
        } else {
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < buf.count, isDigit(buf[pos]) else { throw fail("a digit after '.'") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buf.count, isDigit(buf[pos]) else { throw fail("a digit in the exponent") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self))
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// Parses a string starting at its opening quote; leaves `pos` after the closing quote.
    private mutating func parseString() throws(JSONError) -> String {
        pos += 1  // "
        let start = pos
        // Fast path: no escapes.
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                defer { pos += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            pos += 1
        }
        var out: [UInt8] = Array(buf[start..<pos])
        while true {
            guard pos < buf.count else { throw JSONError("unexpected end of input in a string", offset: pos) }
            let c = buf[pos]
            switch c {
            case UInt8(ascii: "\""):
                pos += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &out)
            case 0..<0x20:
                throw JSONError("control character U+\(hex4(UInt16(c))) must be escaped in a string", offset: pos)
            default:
                out.append(c)
                pos += 1
            }
        }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
        let start = pos
        pos += 1  // backslash
        guard pos < buf.count else { throw JSONError("unexpected end of input in an escape", offset: pos) }
        let c = buf[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            var scalar = UInt32(unit)
            if unit >= 0xDC00, unit <= 0xDFFF {
                throw JSONError("lone low surrogate \\u\(hex4(unit)) in a string", offset: start)
            }
            if unit >= 0xD800, unit <= 0xDBFF {
                let lone = JSONError(
                    "lone high surrogate \\u\(hex4(unit)) in a string (not followed by a low surrogate)", offset: start)
                guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else {
                    throw lone
                }
                pos += 2
                let low = try parseHex4()
                guard low >= 0xDC00, low <= 0xDFFF else { throw lone }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            appendUTF8(scalar, to: &out)
        default:
            throw JSONError("invalid escape \\\(describe(pos - 1)) in a string", offset: start)
        }
    }

    /// Four uppercase hex digits.
    private func hex4(_ v: UInt16) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    private mutating func parseHex4() throws(JSONError) -> UInt16 {
        var v: UInt16 = 0
        for _ in 0..<4 {
            guard pos < buf.count else { throw JSONError("unexpected end of input in a \\u escape", offset: pos) }
            guard let d = hexDigitValue(buf[pos]) else {
                throw JSONError("invalid \\u escape: expected 4 hex digits, found \(describe(pos))", offset: pos)
            }
            v = v << 4 | UInt16(d)
            pos += 1
        }
        return v
    }
}

/// Appends the UTF-8 encoding of a Unicode scalar value (not a surrogate).
func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
    switch s {
    case 0..<0x80:
        out.append(UInt8(s))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | s >> 6))
        out.append(UInt8(0x80 | s & 0x3F))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | s >> 12))
        out.append(UInt8(0x80 | s >> 6 & 0x3F))
        out.append(UInt8(0x80 | s & 0x3F))
    default:
        out.append(UInt8(0xF0 | s >> 18))
        out.append(UInt8(0x80 | s >> 12 & 0x3F))
        out.append(UInt8(0x80 | s >> 6 & 0x3F))
        out.append(UInt8(0x80 | s & 0x3F))
    }
}
