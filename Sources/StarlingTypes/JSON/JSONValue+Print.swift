/// The JSON printer: compact output (no whitespace), members in stored order.
///
/// Strings escape `"` and `\` with a backslash, the control characters U+0008, U+0009, U+000A,
/// U+000C, U+000D as `\b \t \n \f \r`, every other character below U+0020 as `\u00XX`
/// (lowercase hex); everything else, including non-ASCII, `/` and U+007F, is written as UTF-8.
/// Number texts are written as stored.
extension JSONValue: CustomStringConvertible {
    /// The compact JSON text of this value.
    public var text: String { String(decoding: utf8, as: UTF8.self) }

    /// The compact JSON text as UTF-8 bytes.
    public var utf8: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    /// The compact JSON text (same as ``text``).
    public var description: String { text }

    /// Appends the compact JSON text of this value, as UTF-8.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let t): out.append(contentsOf: t.utf8)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let xs):
            out.append(UInt8(ascii: "["))
            for (i, x) in xs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                x.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let ms):
            out.append(UInt8(ascii: "{"))
            for (i, m) in ms.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                m.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a quoted, escaped JSON string.
    static func writeString(_ s: String, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
