/// One lexical token of SQL text.
struct Token: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// A bare word: a keyword or an identifier (told apart by the parser, case-insensitively).
        case word(String)
        /// A "double-quoted" identifier (never a keyword), with `""` unescaped.
        case quotedIdentifier(String)
        /// Decimal digits (no sign).
        case integer(String)
        /// A decimal number with a fraction and/or an exponent (no sign).
        case float(String)
        /// A 'single-quoted' string, with `''` unescaped.
        case string(String)
        /// `0x1F` (a hex number) or `X'1f'` (hex bytes); the digits only.
        case hex(String, isNumber: Bool)
        /// `:name`; the name only.
        case parameter(String)
        /// Punctuation and operators: `* , . ( ) ; = != <> < <= > >= -`.
        case symbol(String)
        /// The end of the text.
        case end
    }

    var kind: Kind
    var position: SourcePosition
    /// The token's source text (for error messages).
    var text: String

    /// Whether this token is the keyword `keyword` (given in upper case).
    func isKeyword(_ keyword: String) -> Bool {
        if case .word(let w) = kind { return w.uppercased() == keyword }
        return false
    }

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }

    /// How an error message shows this token: `"FORM"`, or `end of input`.
    var shown: String {
        if case .end = kind { return "end of input" }
        return "\"\(text)\""
    }
}

/// Words the parser treats as keywords; a bare identifier may not be one of them (quote it).
let reservedWords: Set<String> = [
    "SELECT", "FROM", "WHERE", "JOIN", "INNER", "ON", "AND", "OR", "NOT", "ORDER", "BY", "LIMIT", "AS", "ASC",
    "DESC", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE", "EXPLAIN", "TRUE", "FALSE", "NULL", "IS",
]
