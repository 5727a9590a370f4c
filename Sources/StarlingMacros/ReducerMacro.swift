import SwiftSyntax
import SwiftSyntaxBuilder
import SwiftSyntaxMacros

/// `@Reducer` on a function `f(ctx: ReducerContext, a: A, b: B) [throws(ReducerError)]`: exports it
/// as reducer `f` (snake_case of the function name, or `name:`) and describes its parameters.
/// `@Reducer(.initialize)`, `(.clientConnected)`, `(.clientDisconnected)` make it a lifecycle reducer.
public struct ReducerMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol, in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard let f = declaration.as(FunctionDeclSyntax.self) else {
            throw MacroError("@Reducer goes on a function whose first parameter is the ReducerContext", at: node)
        }
        let args = AttributeArguments(node)
        let name = try args.string("name") ?? snakeCase(f.name.text)
        var lifecycle = "none"
        if let e = args.unlabeled.first {
            guard let m = e.as(MemberAccessExprSyntax.self),
                ["initialize", "clientConnected", "clientDisconnected"].contains(m.declName.baseName.text)
            else {
                throw MacroError("the lifecycle is `.initialize`, `.clientConnected` or `.clientDisconnected`", at: e)
            }
            lifecycle = m.declName.baseName.text
        }
        let params = Array(f.signature.parameterClause.parameters)
        guard let first = params.first, first.type.trimmedDescription.hasSuffix("ReducerContext") else {
            throw MacroError("a reducer's first parameter must be `ctx: ReducerContext`", at: f.signature)
        }
        if f.signature.effectSpecifiers?.asyncSpecifier != nil {
            throw MacroError("reducers cannot be async", at: f.signature)
        }
        let throwsClause = f.signature.effectSpecifiers?.throwsClause
        if let t = throwsClause, t.type?.trimmedDescription.hasSuffix("ReducerError") != true {
            throw MacroError("a reducer throws `throws(ReducerError)` (Embedded Swift has no untyped throws)", at: t)
        }
        var columns: [String] = []
        var callArgs: [String] = [label(first) + "ctx"]
        for p in params.dropFirst() {
            let paramName = (p.secondName ?? p.firstName).text
            let type = try desugar(p.type)
            columns.append("ColumnItem(\(literal(snakeCase(paramName))), \(type).algebraicType)")
            callArgs.append(label(p) + "__starlingArgument(&r, \(literal(paramName)))")
        }
        let call = "\(f.name.text)(\(callArgs.joined(separator: ", ")))"
        // Decoding arguments can throw even when the reducer itself does not.
        let tryCall = throwsClause == nil && params.count == 1 ? call : "try \(call)"
        let reducerExport = "__starling_reducer__\(name)"
        let describeExport = "__starling_describe__reducer_\(name)"
        return [
            """
            @_expose(wasm, \(literal: reducerExport)) @_cdecl(\(literal: reducerExport))
            func __starling_reducer__\(raw: f.name.text)(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64, _ c0: UInt64, _ c1: UInt64, _ ts: Int64, _ argsLen: UInt32) -> Int32 {
            __starlingInvokeReducer(s0, s1, s2, s3, c0, c1, ts, argsLen) { ctx, r throws(ReducerError) in
            \(raw: tryCall)
            }
            }
            """,
            """
            @_expose(wasm, \(literal: describeExport)) @_cdecl(\(literal: describeExport))
            func __starling_describe__reducer_\(raw: f.name.text)() {
            __starlingDescribeReducer(\(literal: name), [\(raw: columns.joined(separator: ", "))], .\(raw: lifecycle))
            }
            """,
        ]
    }

    private static func label(_ p: FunctionParameterSyntax) -> String {
        p.firstName.tokenKind == .wildcard ? "" : "\(p.firstName.text): "
    }
}

/// `@StarlingType` on a struct or enum used inside columns or reducer arguments: generates its
/// `BSATNCodable` conformance (a struct is a product of its stored properties, an enum a sum of
/// its cases) and describes it by name for code generation.
public struct StarlingTypeMacro: ExtensionMacro, PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol, in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        let name: String
        if let s = declaration.as(StructDeclSyntax.self) {
            name = s.name.text
        } else if let e = declaration.as(EnumDeclSyntax.self) {
            name = e.name.text
        } else {
            return []
        }
        let export = "__starling_describe__type_\(name)"
        return [
            """
            @_expose(wasm, \(literal: export)) @_cdecl(\(literal: export))
            func __starling_describe__type_\(raw: name)() {
            __starlingDescribe(.namedType(name: \(literal: name), type: \(raw: name).algebraicType))
            }
            """
        ]
    }

    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax, providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        let members: [String]
        if let s = declaration.as(StructDeclSyntax.self) {
            members = productCodableMembers(try storedProperties(of: s), access: accessPrefix(s.modifiers))
        } else if let e = declaration.as(EnumDeclSyntax.self) {
            members = sumCodableMembers(try enumCases(of: e), access: accessPrefix(e.modifiers))
        } else {
            throw MacroError("@StarlingType goes on a struct or an enum", at: node)
        }
        let ext: DeclSyntax = "extension \(type.trimmed): BSATNCodable {\n\(raw: members.joined(separator: "\n"))\n}"
        return [ext.cast(ExtensionDeclSyntax.self)]
    }
}

/// `@PrimaryKey`, `@Unique`, `@AutoInc`, `@Index`: column markers read by `@Table`; they expand to nothing.
public struct ColumnMarkerMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol, in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] { [] }
}

/// Every macro the plugin serves.
public let all: [any Macro.Type] = [TableMacro.self, ReducerMacro.self, StarlingTypeMacro.self, ColumnMarkerMacro.self]
