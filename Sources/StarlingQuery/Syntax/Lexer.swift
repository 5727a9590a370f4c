/// Splits SQL text into ``Token``s, tracking line and column.
struct Lexer {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var column = 1

    init(_ text: String) { bytes = Array(text.utf8) }

    /// All tokens of the text, ending with `.end`.
    static func tokenize(_ text: String) throws(SQLError) -> [Token] {
        var lexer = Lexer(text)
        var out: [Token] = []
        while true {
            let t = try lexer.next()
            out.append(t)
            if t.kind == .end { return out }
        }
    }

    private var position: SourcePosition { SourcePosition(offset: offset, line: line, column: column) }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    private mutating func advance() {
        let b = bytes[offset]
        offset += 1
        if b == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
    }

    private func text(from start: SourcePosition) -> String {
        String(decoding: bytes[start.offset..<offset], as: UTF8.self)
    }

    private mutating func skipSpaceAndComments() {
        while let c = peek() {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                advance()
            } else if c == UInt8(ascii: "-"), peek(1) == UInt8(ascii: "-") {
                while let d = peek(), d != UInt8(ascii: "\n") { advance() }
            } else {
                return
            }
        }
    }

    /// The next token.
    mutating func next() throws(SQLError) -> Token {
        skipSpaceAndComments()
        let start = position
        guard let c = peek() else { return Token(kind: .end, position: start, text: "") }
        let kind: Token.Kind
        if c == UInt8(ascii: "x") || c == UInt8(ascii: "X"), peek(1) == UInt8(ascii: "'") {
            kind = try hexString(start)
        } else if isIdentifierStart(c) {
            while let d = peek(), isIdentifierPart(d) { advance() }
            kind = .word(text(from: start))
        } else if isDigit(c) || (c == UInt8(ascii: ".") && peek(1).map(isDigit) == true) {
            kind = try number(start)
        } else if c == UInt8(ascii: "'") {
            kind = .string(try quoted(UInt8(ascii: "'"), start, what: "string literal"))
        } else if c == UInt8(ascii: "\"") {
            let name = try quoted(UInt8(ascii: "\""), start, what: "quoted identifier")
            guard !name.isEmpty else { throw SQLError(.syntax, "a quoted identifier cannot be empty", at: start) }
            kind = .quotedIdentifier(name)
        } else if c == UInt8(ascii: ":") {
            advance()
            guard let d = peek(), isIdentifierStart(d) else {
                throw SQLError(.syntax, "expected a parameter name after \":\"", at: start)
            }
            while let d = peek(), isIdentifierPart(d) { advance() }
            kind = .parameter(String(text(from: start).dropFirst()))
        } else {
            kind = .symbol(try symbol(start))
        }
        return Token(kind: kind, position: start, text: text(from: start))
    }

    private mutating func symbol(_ start: SourcePosition) throws(SQLError) -> String {
        let c = bytes[offset]
        let two: [UInt8] = peek(1).map { [c, $0] } ?? [c]
        for op in ["!=", "<>", "<=", ">="] where Array(op.utf8) == two {
            advance()
            advance()
            return op
        }
        if "*,.();=<>-".utf8.contains(c) {
            advance()
            return String(UnicodeScalar(c))
        }
        advance()
        while offset < bytes.count, bytes[offset] & 0xC0 == 0x80 { advance() }
        throw SQLError(.syntax, "unexpected character \"\(text(from: start))\"", at: start)
    }

    private mutating func number(_ start: SourcePosition) throws(SQLError) -> Token.Kind {
        if bytes[offset] == UInt8(ascii: "0"), let x = peek(1), x | 0x20 == UInt8(ascii: "x") {
            advance()
            advance()
            let digitsStart = offset
            while let d = peek(), isIdentifierPart(d) { advance() }
            let digits = String(decoding: bytes[digitsStart..<offset], as: UTF8.self)
            guard !digits.isEmpty, digits.utf8.allSatisfy(isHexDigit) else {
                throw SQLError(.syntax, "invalid hex literal \"\(text(from: start))\"", at: start)
            }
            return .hex(digits, isNumber: true)
        }
        var isFloat = false
        while let d = peek(), isDigit(d) { advance() }
        if peek() == UInt8(ascii: "."), peek(1).map(isDigit) == true || !(peek(1).map(isIdentifierStart) ?? false) {
            isFloat = true
            advance()
            while let d = peek(), isDigit(d) { advance() }
        }
        if let e = peek(), e | 0x20 == UInt8(ascii: "e") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-")
            if let d = peek(sign ? 2 : 1), isDigit(d) {
                isFloat = true
                advance()
                if sign { advance() }
                while let d = peek(), isDigit(d) { advance() }
            }
        }
        if let d = peek(), isIdentifierPart(d) {
            while let d = peek(), isIdentifierPart(d) { advance() }
            throw SQLError(.syntax, "invalid number \"\(text(from: start))\"", at: start)
        }
        let t = text(from: start)
        return isFloat ? .float(t) : .integer(t)
    }

    /// Reads a literal quoted by `quote`, where a doubled quote stands for one.
    private mutating func quoted(_ quote: UInt8, _ start: SourcePosition, what: String) throws(SQLError) -> String {
        advance()
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw SQLError(.syntax, "unterminated \(what)", at: start) }
            advance()
            if c == quote {
                guard peek() == quote else { break }
                advance()
            }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hexString(_ start: SourcePosition) throws(SQLError) -> Token.Kind {
        advance()
        let body = try quoted(UInt8(ascii: "'"), start, what: "hex literal")
        guard body.utf8.allSatisfy(isHexDigit) else {
            throw SQLError(
                .syntax, "invalid hex literal \"\(text(from: start))\": only hex digits may appear between the quotes",
                at: start)
        }
        return .hex(body, isNumber: false)
    }
}

private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

private func isHexDigit(_ c: UInt8) -> Bool {
    isDigit(c) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "f"))
}

private func isIdentifierStart(_ c: UInt8) -> Bool {
    (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || c == UInt8(ascii: "_") || c >= 0x80
}

private func isIdentifierPart(_ c: UInt8) -> Bool { isIdentifierStart(c) || isDigit(c) }
