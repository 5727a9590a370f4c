/// Turning schema names (snake_case table, column, reducer and variant names) into identifiers.
enum Naming {
    /// `tick_timer` → `TickTimer`; a name that does not start with a letter gets a `T` in front.
    static func pascalCase(_ name: String) -> String {
        var out = words(name).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if out.isEmpty { out = "T" }
        if let first = out.unicodeScalars.first, !isIdentifierStart(first) { out = "T" + out }
        return out
    }

    /// `scheduled_at` → `scheduledAt`; a name that does not start with a letter gets `_` in front.
    static func camelCase(_ name: String) -> String {
        let parts = words(name)
        guard let first = parts.first else { return "_" }
        var out = first.prefix(1).lowercased() + first.dropFirst()
        out += parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if let c = out.unicodeScalars.first, !isIdentifierStart(c) { out = "_" + out }
        return out
    }

    /// The name's words: split at `_`, `-`, spaces and anything that cannot be in an identifier.
    private static func words(_ name: String) -> [String] {
        var parts: [String] = []
        var current = ""
        for c in name.unicodeScalars {
            if isIdentifierPart(c) && c != "_" {
                current.unicodeScalars.append(c)
            } else if !current.isEmpty {
                parts.append(current)
                current = ""
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    private static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || (c >= "0" && c <= "9")
    }

    /// Swift keywords that need backticks as identifiers.
    static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout", "internal", "let",
        "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript",
        "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard",
        "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self",
        "Self", "super", "throws", "true", "try", "Type", "Protocol",
    ]

    /// `name` with backticks if it is a Swift keyword.
    static func swiftIdentifier(_ name: String) -> String {
        swiftKeywords.contains(name) ? "`\(name)`" : name
    }

    /// JavaScript reserved words (as identifiers they need another name).
    static let jsReserved: Set<String> = [
        "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export",
        "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super",
        "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static", "implements",
        "interface", "package", "private", "protected", "public", "await", "arguments", "eval",
    ]

    /// A JavaScript identifier for `name` (reserved words get a `_` suffix).
    static func jsIdentifier(_ name: String) -> String {
        jsReserved.contains(name) ? name + "_" : name
    }

    /// A Swift string literal.
    static func swiftString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += "\\u{\(String(c.value, radix: 16))}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }

    /// A JavaScript string literal (single quotes).
    static func jsString(_ s: String) -> String {
        var out = "'"
        for c in s.unicodeScalars {
            switch c {
            case "'": out += "\\'"
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if c.value < 0x20 || c.value == 0x2028 || c.value == 0x2029 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "'"
    }

    /// Text safe inside a `/** ... */` or `///` comment: one line, no comment terminator.
    static func comment(_ s: String) -> String {
        var out = ""
        var previous: Character = " "
        for c in s {
            if c == "\n" || c == "\r" {
                out.append(" ")
            } else if c == "/" && previous == "*" {
                out.append(" /")
            } else {
                out.append(c)
            }
            previous = c
        }
        return out
    }
}
