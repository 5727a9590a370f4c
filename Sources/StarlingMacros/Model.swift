import SwiftDiagnostics
import SwiftSyntax

/// A macro usage error, reported at a syntax node with a message a module author can act on.
struct MacroError: Error, DiagnosticMessage {
    let message: String
    let node: Syntax
    var diagnosticID: MessageID { MessageID(domain: "StarlingMacros", id: "error") }
    var severity: DiagnosticSeverity { .error }

    init(_ message: String, at node: some SyntaxProtocol) {
        self.message = message
        self.node = Syntax(node)
    }

    var diagnostic: Diagnostic { Diagnostic(node: node, message: self) }
}

/// One stored property of a struct, as the macros see it.
struct StoredProperty {
    var name: String
    /// The type written in source, desugared so `T.algebraicType` is valid (`String?` → `Optional<String>`).
    var type: String
    var attributes: [String: AttributeSyntax]
    /// The initial value written in source (`var level: UInt32 = 1`): the column's default.
    var initializer: ExprSyntax? = nil

    /// The column name: the property name in snake_case.
    var columnName: String { snakeCase(name) }

    func has(_ attribute: String) -> Bool { attributes[attribute] != nil }
}

/// The stored (non-static, non-computed) properties of a struct, in declaration order.
func storedProperties(of decl: StructDeclSyntax) throws -> [StoredProperty] {
    var out: [StoredProperty] = []
    for member in decl.memberBlock.members {
        guard let v = member.decl.as(VariableDeclSyntax.self) else { continue }
        if v.modifiers.contains(where: { $0.name.tokenKind == .keyword(.static) || $0.name.tokenKind == .keyword(.class) }) {
            continue
        }
        var attributes: [String: AttributeSyntax] = [:]
        for a in v.attributes {
            if let attr = a.as(AttributeSyntax.self) { attributes[attr.attributeName.trimmedDescription] = attr }
        }
        for binding in v.bindings {
            if let accessors = binding.accessorBlock {
                if case .getter = accessors.accessors { continue }
                if case .accessors(let list) = accessors.accessors,
                    list.contains(where: { $0.accessorSpecifier.tokenKind == .keyword(.get) })
                {
                    continue
                }
            }
            guard let id = binding.pattern.as(IdentifierPatternSyntax.self) else {
                throw MacroError("stored properties must be simple names", at: binding.pattern)
            }
            guard let type = binding.typeAnnotation?.type else {
                throw MacroError("property `\(id.identifier.text)` needs a type annotation (the column type)", at: binding)
            }
            let initial = binding.initializer?.value
            if initial != nil, v.bindingSpecifier.tokenKind == .keyword(.let) {
                throw MacroError(
                    "`let \(id.identifier.text)` has a fixed value, so it cannot be a column read back from the database; declare it with `var` (its initial value is then the column's default)",
                    at: binding)
            }
            out.append(
                StoredProperty(name: id.identifier.text, type: try desugar(type), attributes: attributes, initializer: initial))
        }
    }
    return out
}

/// Writes a type so that a static member can follow it: `T?` → `Optional<T>`, `[T]` → `Array<T>`.
func desugar(_ type: TypeSyntax) throws -> String {
    if let o = type.as(OptionalTypeSyntax.self) { return "Optional<\(try desugar(o.wrappedType))>" }
    if let a = type.as(ArrayTypeSyntax.self) { return "Array<\(try desugar(a.element))>" }
    if type.is(DictionaryTypeSyntax.self) {
        throw MacroError("dictionaries cannot be columns; use an array of a @StarlingType struct", at: type)
    }
    if type.is(TupleTypeSyntax.self) {
        throw MacroError("tuples cannot be columns; use a @StarlingType struct", at: type)
    }
    if let i = type.as(ImplicitlyUnwrappedOptionalTypeSyntax.self) {
        return "Optional<\(try desugar(i.wrappedType))>"
    }
    return type.trimmedDescription
}

/// `playerScore` → `player_score`, `HTTPServer` → `http_server`, `Account` → `account`.
func snakeCase(_ name: String) -> String {
    let chars = Array(name)
    var out = ""
    for (i, c) in chars.enumerated() {
        if c.isUppercase {
            let prevLower = i > 0 && (chars[i - 1].isLowercase || chars[i - 1].isNumber)
            let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase
            let prevUpper = i > 0 && chars[i - 1].isUppercase
            if i > 0 && (prevLower || (prevUpper && nextLower)) && !out.hasSuffix("_") { out += "_" }
            out += c.lowercased()
        } else {
            out.append(c)
        }
    }
    return out
}

/// A Swift string literal for `s`.
func literal(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

/// The labeled arguments of an attribute, e.g. `@Table(name: "x", public: true)`.
struct AttributeArguments {
    var labeled: [String: ExprSyntax] = [:]
    var unlabeled: [ExprSyntax] = []

    init(_ attribute: AttributeSyntax) {
        guard case .argumentList(let list) = attribute.arguments else { return }
        for arg in list {
            if let label = arg.label?.text { labeled[label] = arg.expression } else { unlabeled.append(arg.expression) }
        }
    }

    func string(_ label: String) throws -> String? {
        guard let e = labeled[label] else { return nil }
        guard let s = e.as(StringLiteralExprSyntax.self), s.segments.count == 1,
            case .stringSegment(let seg) = s.segments.first
        else {
            throw MacroError("`\(label):` must be a plain string literal", at: e)
        }
        return seg.content.text
    }

    func bool(_ label: String) throws -> Bool? {
        guard let e = labeled[label] else { return nil }
        guard let b = e.as(BooleanLiteralExprSyntax.self) else {
            throw MacroError("`\(label):` must be `true` or `false`", at: e)
        }
        return b.literal.tokenKind == .keyword(.true)
    }

    func strings(_ label: String) throws -> [String] {
        guard let e = labeled[label] else { return [] }
        guard let array = e.as(ArrayExprSyntax.self) else { throw MacroError("`\(label):` must be an array of string literals", at: e) }
        var out: [String] = []
        for element in array.elements {
            guard let s = element.expression.as(StringLiteralExprSyntax.self), s.segments.count == 1,
                case .stringSegment(let seg) = s.segments.first
            else {
                throw MacroError("`\(label):` must be an array of plain string literals", at: element)
            }
            out.append(seg.content.text)
        }
        return out
    }
}

/// The access modifier to put on generated members so they satisfy a public protocol.
func accessPrefix(_ modifiers: DeclModifierListSyntax) -> String {
    for m in modifiers {
        switch m.name.tokenKind {
        case .keyword(.public), .keyword(.open): return "public "
        default: continue
        }
    }
    return ""
}
