import StarlingTypes

/// Writes Swift bindings for the client SDK (`StarlingClient`): a `StarlingRow` struct per table,
/// a struct or enum per other product or sum type, typed finders on `Table`, and
/// `conn.db.<table>` / `conn.reducers.<reducer>(...)` accessors.
struct SwiftGenerator {
    let schema: ModuleSchema
    let header: String
    let registry: TypeRegistry

    /// Names of the SDK (and standard library) that generated types must not shadow.
    static let reserved: Set<String> = [
        "Table", "Identity", "ConnectionId", "Timestamp", "TimeDuration", "ScheduleAt", "Bytes", "AlgebraicType", "AlgebraicValue",
        "ProductType", "SumType", "BSATNReader", "BSATNWriter", "BSATNError", "BSATNCodable", "StarlingConnection", "StarlingRow",
        "StarlingError", "CallOutcome", "Subscription", "DynamicRow", "EventContext", "RemoteTables", "RemoteReducers",
        "ObservableTable", "RowChange", "TableInfo", "String", "Bool", "Int", "Int8", "Int16", "Int32", "Int64", "Int128", "UInt",
        "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "Float", "Double", "Array", "Optional", "Result", "Error", "Never",
        "Sendable", "Hashable", "Equatable",
    ]

    init(schema: ModuleSchema, header: String) {
        self.schema = schema
        self.header = header
        registry = TypeRegistry(schema: schema, reserved: Self.reserved)
    }

    func generate() -> String {
        var out = header.split(separator: "\n", omittingEmptySubsequences: false).map { "// " + $0 }.joined(separator: "\n")
        out += "\n\nimport StarlingClient\n"
        for d in registry.decls {
            out += "\n" + (d.sum != nil ? enumDecl(d) : structDecl(d))
        }
        for d in registry.decls where d.table != nil {
            let f = finders(d)
            if !f.isEmpty { out += "\n" + f }
        }
        out += "\n" + tablesDecl() + "\n" + reducersDecl()
        return out
    }

    // MARK: - Types

    /// The Swift type of a value of `t`.
    func swiftType(_ t: AlgebraicType) -> String {
        switch t {
        case .bool: "Bool"
        case .i8: "Int8"
        case .u8: "UInt8"
        case .i16: "Int16"
        case .u16: "UInt16"
        case .i32: "Int32"
        case .u32: "UInt32"
        case .i64: "Int64"
        case .u64: "UInt64"
        case .i128: "Int128"
        case .u128: "UInt128"
        case .f32: "Float"
        case .f64: "Double"
        case .string: "String"
        case .bytes: "[UInt8]"
        case .array(let e): "[\(swiftType(e))]"
        case .option(let e): swiftType(e) + "?"
        case .product, .sum: registry.name(of: t) ?? "Never"
        case .identity: "Identity"
        case .connectionId: "ConnectionId"
        case .timestamp: "Timestamp"
        case .timeDuration: "TimeDuration"
        case .scheduleAt: "ScheduleAt"
        }
    }

    /// A Swift expression building the `AlgebraicType` `t` (`self` types are written out, others referenced).
    func typeExpression(_ t: AlgebraicType, inline: Bool = false) -> String {
        switch t {
        case .array(let e): return ".array(\(typeExpression(e)))"
        case .option(let e): return ".option(\(typeExpression(e)))"
        case .product(let p):
            if !inline, let name = registry.name(of: t) { return "\(name).algebraicType" }
            if p.fields.isEmpty { return ".unit" }
            return ".product(ProductType([" + p.fields.map { ".init(\(nameLiteral($0.name)), \(typeExpression($0.type)))" }.joined(separator: ", ")
                + "]))"
        case .sum(let s):
            if !inline, let name = registry.name(of: t) { return "\(name).algebraicType" }
            return ".sum(SumType([" + s.variants.map { ".init(\(nameLiteral($0.name)), \(typeExpression($0.type)))" }.joined(separator: ", ")
                + "]))"
        case .connectionId: return ".connectionId"
        case .timeDuration: return ".timeDuration"
        case .scheduleAt: return ".scheduleAt"
        default: return "." + t.description
        }
    }

    private func nameLiteral(_ name: String?) -> String { name.map(Naming.swiftString) ?? "nil" }

    /// `static var algebraicType` of a generated product or sum, one member per line.
    private func algebraicTypeDecl(_ t: AlgebraicType) -> String {
        let members: [String]
        let open: String
        switch t {
        case .product(let p):
            members = p.fields.map { ".init(\(nameLiteral($0.name)), \(typeExpression($0.type)))" }
            open = ".product(ProductType(["
        case .sum(let s):
            members = s.variants.map { ".init(\(nameLiteral($0.name)), \(typeExpression($0.type)))" }
            open = ".sum(SumType(["
        default:
            return "    public static var algebraicType: AlgebraicType { \(typeExpression(t, inline: true)) }\n"
        }
        if members.isEmpty { return "    public static var algebraicType: AlgebraicType { \(open)])) }\n" }
        var out = "    public static var algebraicType: AlgebraicType {\n        \(open)\n"
        for m in members { out += "            \(m),\n" }
        return out + "        ]))\n    }\n"
    }

    /// The Swift property names of a product's fields.
    func fieldNames(_ p: ProductType) -> [String] {
        var used = Set<String>()
        return p.fields.enumerated().map { i, f in
            var n = Naming.camelCase(f.name ?? "field\(i)")
            while used.contains(n) { n += "_" }
            used.insert(n)
            return n
        }
    }

    private func structDecl(_ d: TypeDecl) -> String {
        let p = d.product!
        let names = fieldNames(p)
        let conformance = d.table != nil ? "StarlingRow, Hashable" : "BSATNCodable, Hashable, Sendable"
        var out = "/// \(Naming.comment(d.origin))"
        if let t = d.table {
            out += t.access == .private ? " (private: only the database owner can read it)." : "."
            if let pk = t.primaryKey { out += " Primary key: `\(Naming.comment(t.columns[pk].name))`." }
        } else {
            out += ": `\(Naming.comment(d.type.description))`."
        }
        out += "\npublic struct \(d.name): \(conformance) {\n"
        if let t = d.table { out += "    public static var tableName: String { \(Naming.swiftString(t.name)) }\n" }
        out += algebraicTypeDecl(d.type) + "\n"
        for (f, n) in zip(p.fields, names) {
            out += "    /// `\(Naming.comment(f.name ?? "(unnamed)"))`: \(Naming.comment(f.type.description))\n"
            out += "    public var \(Naming.swiftIdentifier(n)): \(swiftType(f.type))\n"
        }
        let params = zip(p.fields, names).map { "\(Naming.swiftIdentifier($1)): \(swiftType($0.type))" }.joined(separator: ", ")
        out += "\n    public init(\(params)) {\n"
        for n in names.map(Naming.swiftIdentifier) { out += "        self.\(n) = \(n)\n" }
        out += "    }\n\n    public init(bsatn r: inout BSATNReader) throws(BSATNError) {\n"
        for (f, n) in zip(p.fields, names) { out += "        self.\(Naming.swiftIdentifier(n)) = try \(decodeType(f.type))(bsatn: &r)\n" }
        out += "    }\n\n    public func encode(to w: inout BSATNWriter) {\n"
        for n in names { out += "        self.\(Naming.swiftIdentifier(n)).encode(to: &w)\n" }
        return out + "    }\n}\n"
    }

    /// The type to call `init(bsatn:)` on for `t` (optionals need `Optional<T>` spelled out).
    private func decodeType(_ t: AlgebraicType) -> String {
        if case .option(let e) = t { return "Optional<\(swiftType(e))>" }
        return swiftType(t)
    }

    private func enumDecl(_ d: TypeDecl) -> String {
        let s = d.sum!
        var out = "/// \(Naming.comment(d.origin)): `\(Naming.comment(d.type.description))`.\n"
        out += "public enum \(d.name): BSATNCodable, Hashable, Sendable {\n"
        let cases = enumCases(s)
        for c in cases { out += "    case \(c.declaration)\n" }
        out += "\n" + algebraicTypeDecl(d.type) + "\n"
        out += "    public init(bsatn r: inout BSATNReader) throws(BSATNError) {\n"
        out += "        let at = r.position\n        switch try r.readU8() {\n"
        for (tag, c) in cases.enumerated() { out += "        case \(tag): self = \(c.decode)\n" }
        out += "        case let tag: throw BSATNError(.invalidTag, \"invalid \(d.name) tag \\(tag)\", offset: at)\n        }\n    }\n\n"
        out += "    public func encode(to w: inout BSATNWriter) {\n"
        if cases.isEmpty {
            out += "        switch self {}\n"
        } else {
            out += "        switch self {\n"
            for (tag, c) in cases.enumerated() {
                out += "        case \(c.pattern):\n            w.write(UInt8(\(tag)))\n"
                for b in c.bindings { out += "            \(b).encode(to: &w)\n" }
            }
            out += "        }\n"
        }
        return out + "    }\n}\n"
    }

    private struct EnumCase {
        var declaration: String
        var decode: String
        var pattern: String
        var bindings: [String]
    }

    private func enumCases(_ s: SumType) -> [EnumCase] {
        var used = Set<String>()
        return s.variants.enumerated().map { i, v in
            var name = Naming.camelCase(v.name ?? "variant\(i)")
            while used.contains(name) { name += "_" }
            used.insert(name)
            let id = Naming.swiftIdentifier(name)
            // A named (or row) payload type, or a non-product, is one associated value.
            var members: [(label: String?, type: AlgebraicType)]
            if case .product(let p) = v.type, registry.name(of: v.type) == nil {
                members = zip(p.fields, fieldNames(p)).map { f, n in (f.name == nil ? nil : n, f.type) }
            } else {
                members = [(nil, v.type)]
            }
            if members.isEmpty { return EnumCase(declaration: id, decode: ".\(id)", pattern: ".\(id)", bindings: []) }
            let decl = members.map { ($0.label.map { Naming.swiftIdentifier($0) + ": " } ?? "") + swiftType($0.type) }
            let decode = members.map { ($0.label.map { Naming.swiftIdentifier($0) + ": " } ?? "") + "try \(decodeType($0.type))(bsatn: &r)" }
            let bindings = members.indices.map { "v\($0)" }
            return EnumCase(
                declaration: "\(id)(\(decl.joined(separator: ", ")))", decode: ".\(id)(\(decode.joined(separator: ", ")))",
                pattern: ".\(id)(\(bindings.map { "let \($0)" }.joined(separator: ", ")))", bindings: bindings)
        }
    }

    // MARK: - Tables and reducers

    /// Typed lookups on a table's single-column indexes: `find(column:)` for unique columns
    /// (the primary key included), `filter(column:)` for the others.
    private func finders(_ d: TypeDecl) -> String {
        let t = d.table!
        let names = fieldNames(d.product!)
        let indexes = ModuleSchema.singleColumnIndexes(t)
        guard !indexes.isEmpty else { return "" }
        var out = "extension Table where Row == \(d.name) {\n"
        for (c, unique) in indexes {
            let col = t.columns[c]
            let label = Naming.swiftIdentifier(names[c])
            let type = swiftType(col.type)
            if unique {
                let what = c == t.primaryKey ? "primary key" : "unique column"
                out += "    /// The cached row whose \(what) `\(Naming.comment(col.name))` is `\(names[c])`.\n"
                out += "    public func find(\(label): \(type)) -> \(d.name)? { find(\(Naming.swiftString(col.name)), equals: \(label)) }\n"
            } else {
                out += "    /// The cached rows whose indexed column `\(Naming.comment(col.name))` is `\(names[c])`.\n"
                out += "    public func filter(\(label): \(type)) -> [\(d.name)] { filter(\(Naming.swiftString(col.name)), equals: \(label)) }\n"
            }
        }
        return out + "}\n"
    }

    /// The accessor names of the tables on `conn.db`.
    func tableAccessors() -> [(decl: TypeDecl, accessor: String)] {
        var used: Set<String> = ["connection", "verify", "allPublicQueries", "rowTypes"]
        return registry.decls.filter { $0.table != nil }.map { d in
            var n = Naming.camelCase(d.table!.name)
            while used.contains(n) { n += "Table" }
            used.insert(n)
            return (d, n)
        }
    }

    private func tablesDecl() -> String {
        let tables = tableAccessors()
        var out = "/// The database's tables with typed rows: `conn.db.\(tables.first?.accessor ?? "table").rows`.\n"
        out += "public struct RemoteTables: Sendable {\n    public let connection: StarlingConnection\n\n"
        out += "    public init(connection: StarlingConnection) { self.connection = connection }\n"
        for (d, accessor) in tables {
            out += "\n    /// Table `\(Naming.comment(d.table!.name))`\(d.table!.access == .private ? " (private)" : "").\n"
            out += "    public var \(Naming.swiftIdentifier(accessor)): Table<\(d.name)> { connection.table(\(d.name).self) }\n"
        }
        let types = tables.map { "\($0.decl.name).self" }.joined(separator: ", ")
        out += "\n    /// Every generated row type.\n    public static var rowTypes: [any StarlingRow.Type] { [\(types)] }\n"
        let queries = tables.filter { $0.decl.table!.access == .public }.map { Naming.swiftString("SELECT * FROM \($0.decl.table!.name)") }
        out += "\n    /// `SELECT * FROM` every public table: subscribe to these to see all the rows you may read.\n"
        out += "    public static var allPublicQueries: [String] { [\(queries.joined(separator: ", "))] }\n"
        out += "\n    /// Checks the generated row types against the database's schema (throws if they are stale).\n"
        out += "    public func verify() throws(StarlingError) { try connection.verify(Self.rowTypes) }\n}\n"
        return out
    }

    private func reducersDecl() -> String {
        var out = "/// The module's reducers as typed calls: `try await conn.reducers.<name>(...)`.\n"
        out += "public struct RemoteReducers: Sendable {\n    public let connection: StarlingConnection\n\n"
        out += "    public init(connection: StarlingConnection) { self.connection = connection }\n"
        var used: Set<String> = ["connection"]
        for r in schema.reducers where r.lifecycle == .none {
            var name = Naming.camelCase(r.name)
            while used.contains(name) { name += "_" }
            used.insert(name)
            let p = r.argsType
            let names = fieldNames(p)
            let params = zip(p.fields, names).map { "\(Naming.swiftIdentifier($1)): \(swiftType($0.type))" }.joined(separator: ", ")
            let signature = r.params.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
            out += "\n    /// Calls reducer `\(Naming.comment(r.name))(\(Naming.comment(signature)))`; returns once it committed.\n"
            out += "    @discardableResult\n"
            out += "    public func \(Naming.swiftIdentifier(name))(\(params)) async throws(StarlingError) -> CallOutcome {\n"
            if names.isEmpty {
                out += "        try await connection.call(\(Naming.swiftString(r.name)), bsatnArgs: [])\n    }\n"
                continue
            }
            out += "        var w = BSATNWriter()\n"
            for n in names { out += "        \(Naming.swiftIdentifier(n)).encode(to: &w)\n" }
            out += "        return try await connection.call(\(Naming.swiftString(r.name)), bsatnArgs: w.bytes)\n    }\n"
        }
        out += "}\n\nextension StarlingConnection {\n"
        out += "    /// The database's tables with typed rows (generated).\n    public var db: RemoteTables { RemoteTables(connection: self) }\n"
        out += "    /// The module's reducers as typed calls (generated).\n    public var reducers: RemoteReducers { RemoteReducers(connection: self) }\n}\n"
        return out
    }
}
