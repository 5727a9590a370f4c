import SwiftSyntax

/// The `BSATNCodable` members of a struct: a product of its stored properties, in order. When
/// every field has a fixed-size encoding, `encode` stores the whole struct with one bounds check.
func productCodableMembers(_ props: [StoredProperty], access: String) -> [String] {
    let fields = props.map { ".init(\(literal($0.columnName)), \($0.type).algebraicType)" }.joined(separator: ", ")
    let encodes = props.map { "self.\($0.name).encode(to: &w)" }.joined(separator: "\n")
    let decodes = props.map { "self.\($0.name) = try \($0.type)(bsatn: &r)" }.joined(separator: "\n")
    let sizes = props.enumerated().map { i, p in "let s\(i) = \(p.type).bsatnFixedSize" }.joined(separator: ", ")
    let sum = props.isEmpty ? "0" : props.indices.map { "s\($0)" }.joined(separator: " + ")
    let fixedSize = props.isEmpty ? "0" : "guard \(sizes) else {\nreturn nil\n}\nreturn \(sum)"
    let stores = props.map { "self.\($0.name).store(into: p + o)\no += \($0.type).bsatnFixedSize!" }.joined(separator: "\n")
    let loads = props.map { "self.\($0.name) = \($0.type)(bsatnFixed: p + o)\no += \($0.type).bsatnFixedSize!" }.joined(separator: "\n")
    let loadable = props.isEmpty ? "true" : props.map { "\($0.type).bsatnFixedLoadable" }.joined(separator: " && ")
    return [
        "\(access)static var algebraicType: AlgebraicType { .product(ProductType([\(fields)])) }",
        "\(access)static var bsatnFixedSize: Int? {\n\(fixedSize)\n}",
        "\(access)func store(into p: UnsafeMutableRawPointer) {\nvar o = 0\n\(stores)\n_ = o\n}",
        "\(access)static var bsatnFixedLoadable: Bool {\nbsatnFixedSize != nil && \(loadable)\n}",
        "\(access)init(bsatnFixed p: UnsafeRawPointer) {\nvar o = 0\n\(loads)\n_ = o\n}",
        "\(access)func encode(to w: inout BSATNWriter) {\nif self.encodeFixed(to: &w) {\nreturn\n}\n\(encodes)\n}",
        "\(access)init(bsatn r: inout BSATNReader) throws(BSATNError) {\nif Self.bsatnFixedLoadable, let n = Self.bsatnFixedSize {\nself = Self(bsatnFixed: try r.fixedBytes(n))\nreturn\n}\n\(decodes)\n}",
    ]
}

/// One case of an enum: its name and payload types (none, one, or several → a product).
struct EnumCase {
    var name: String
    var payload: [(label: String?, type: String)]
}

func enumCases(of decl: EnumDeclSyntax) throws -> [EnumCase] {
    var out: [EnumCase] = []
    for member in decl.memberBlock.members {
        guard let c = member.decl.as(EnumCaseDeclSyntax.self) else { continue }
        for element in c.elements {
            if element.rawValue != nil { throw MacroError("raw values are not supported; drop `= ...`", at: element) }
            var payload: [(String?, String)] = []
            for p in element.parameterClause?.parameters ?? [] {
                payload.append((p.firstName?.text, try desugar(p.type)))
            }
            out.append(EnumCase(name: element.name.text, payload: payload))
        }
    }
    if out.isEmpty { throw MacroError("an enum needs at least one case", at: decl.name) }
    if out.count > 256 { throw MacroError("an enum has at most 256 cases", at: decl.name) }
    return out
}

/// The `BSATNCodable` members of an enum: a sum with one variant per case.
func sumCodableMembers(_ cases: [EnumCase], access: String) -> [String] {
    func payloadType(_ c: EnumCase) -> String {
        switch c.payload.count {
        case 0: return ".unit"
        case 1: return "\(c.payload[0].type).algebraicType"
        default:
            let fields = c.payload.enumerated().map { i, p in
                ".init(\(p.label.map { literal(snakeCase($0)) } ?? literal("_\(i)")), \(p.type).algebraicType)"
            }
            return ".product(ProductType([\(fields.joined(separator: ", "))]))"
        }
    }
    let variants = cases.map { ".init(\(literal(snakeCase($0.name))), \(payloadType($0)))" }.joined(separator: ", ")
    var encode = "switch self {\n"
    var decode = "let at = r.position\nswitch try r.readU8() {\n"
    for (tag, c) in cases.enumerated() {
        let binds = c.payload.indices.map { "let v\($0)" }.joined(separator: ", ")
        let pattern = c.payload.isEmpty ? ".\(c.name)" : ".\(c.name)(\(binds))"
        let writes = c.payload.indices.map { "\nv\($0).encode(to: &w)" }.joined()
        encode += "case \(pattern):\nw.write(UInt8(\(tag)))\(writes)\n"
        if c.payload.isEmpty {
            decode += "case \(tag): self = .\(c.name)\n"
        } else {
            let args = c.payload.map { p in (p.label.map { "\($0): " } ?? "") + "try \(p.type)(bsatn: &r)" }
            decode += "case \(tag): self = .\(c.name)(\(args.joined(separator: ", ")))\n"
        }
    }
    encode += "}"
    decode += "case let tag: throw BSATNError(.invalidTag, \"invalid variant tag \\(tag)\", offset: at)\n}"
    return [
        "\(access)static var algebraicType: AlgebraicType { .sum(SumType([\(variants)])) }",
        "\(access)func encode(to w: inout BSATNWriter) {\n\(encode)\n}",
        "\(access)init(bsatn r: inout BSATNReader) throws(BSATNError) {\n\(decode)\n}",
    ]
}
