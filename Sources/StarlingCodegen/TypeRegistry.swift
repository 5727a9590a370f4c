import StarlingTypes

/// A product or sum type that gets a declaration of its own in generated code: a table's row,
/// a type the module named (`@StarlingType`), or an unnamed nested type (named after where it is used).
struct TypeDecl {
    /// The generated type's name.
    let name: String
    /// A product or a sum.
    let type: AlgebraicType
    /// The table whose rows this is, for row types.
    let table: TableSchema?
    /// Where the type comes from, for its doc comment.
    let origin: String

    var product: ProductType? { if case .product(let p) = type { p } else { nil } }
    var sum: SumType? { if case .sum(let s) = type { s } else { nil } }
}

/// Assigns a name to every product and sum type of a schema. Types are matched structurally:
/// a reducer parameter whose type equals a table's row type (a scheduled reducer's argument)
/// uses that row's struct.
struct TypeRegistry {
    private(set) var decls: [TypeDecl] = []
    private var byType: [AlgebraicType: String] = [:]
    private var used: Set<String>

    /// Registers the schema's tables, named types, and the nested types of columns and parameters.
    /// `reserved` are names generated code must not use (the SDK's types).
    init(schema: ModuleSchema, reserved: Set<String>) {
        used = reserved
        for t in schema.tables {
            let name = unique(Naming.pascalCase(t.name), suffix: "Row")
            let type = AlgebraicType.product(t.rowType)
            decls.append(TypeDecl(name: name, type: type, table: t, origin: "A row of table `\(t.name)`"))
            if byType[type] == nil { byType[type] = name }
        }
        for (name, type) in schema.namedTypes where byType[type] == nil {
            switch type {
            case .product, .sum: add(type, name: Naming.pascalCase(name), origin: "The module's type `\(name)`")
            default: continue
            }
        }
        for d in decls { walkMembers(of: d) }
        for t in schema.tables {
            for c in t.columns { walk(c.type, context: Naming.pascalCase(t.name) + Naming.pascalCase(c.name)) }
        }
        for r in schema.reducers {
            for p in r.params { walk(p.type, context: Naming.pascalCase(r.name) + Naming.pascalCase(p.name)) }
        }
    }

    /// The generated name of a product or sum type.
    func name(of type: AlgebraicType) -> String? { byType[type] }

    private mutating func unique(_ base: String, suffix: String = "Type") -> String {
        var name = used.contains(base) ? base + suffix : base
        var n = 2
        while used.contains(name) {
            name = base + suffix + String(n)
            n += 1
        }
        used.insert(name)
        return name
    }

    @discardableResult
    private mutating func add(_ type: AlgebraicType, name: String, origin: String) -> TypeDecl {
        let d = TypeDecl(name: unique(name), type: type, table: nil, origin: origin)
        decls.append(d)
        byType[type] = d.name
        return d
    }

    /// Names the product and sum types nested in `type`, calling new ones `context`.
    private mutating func walk(_ type: AlgebraicType, context: String) {
        switch type {
        case .array(let t): walk(t, context: context + "Item")
        case .option(let t): walk(t, context: context)
        case .product, .sum:
            guard byType[type] == nil else { return }
            walkMembers(of: add(type, name: context, origin: "A nested type (named after where it is used)"))
        default: return
        }
    }

    private mutating func walkMembers(of d: TypeDecl) {
        if let p = d.product {
            for (i, f) in p.fields.enumerated() { walk(f.type, context: d.name + Naming.pascalCase(f.name ?? "field\(i)")) }
        }
        if let s = d.sum {
            for (i, v) in s.variants.enumerated() {
                let context = d.name + Naming.pascalCase(v.name ?? "variant\(i)")
                // A variant's unnamed product payload becomes the case's associated values.
                if case .product(let p) = v.type, byType[v.type] == nil {
                    for (j, f) in p.fields.enumerated() { walk(f.type, context: context + Naming.pascalCase(f.name ?? "field\(j)")) }
                } else {
                    walk(v.type, context: context)
                }
            }
        }
    }
}

extension ModuleSchema {
    /// The index columns of table `t` with a single-column index: (column, unique).
    static func singleColumnIndexes(_ t: TableSchema) -> [(column: Int, unique: Bool)] {
        var out: [(column: Int, unique: Bool)] = []
        if let pk = t.primaryKey { out.append((pk, true)) }
        for ix in t.indexes where ix.columns.count == 1 {
            let c = ix.columns[0]
            if let i = out.firstIndex(where: { $0.column == c }) {
                out[i].unique = out[i].unique || ix.isUnique
            } else {
                out.append((c, ix.isUnique))
            }
        }
        return out
    }
}
