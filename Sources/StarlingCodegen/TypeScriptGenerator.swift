import StarlingTypes

/// Writes bindings for the JavaScript/TypeScript SDK (`Clients/typescript`): a plain ES module
/// with JSDoc types (usable from TypeScript with `checkJs`/`allowJs`): a typedef per row and
/// nested type (in the SDK's value mapping), a class per table with typed finders, and a class
/// of typed reducer calls.
struct TypeScriptGenerator {
    let schema: ModuleSchema
    let header: String
    let sdkImport: String
    let registry: TypeRegistry

    static let reserved: Set<String> = [
        "Identity", "ConnectionId", "Timestamp", "TimeDuration", "StarlingClient", "RemoteTables", "RemoteReducers", "TableCache",
        "Object", "Array", "Map", "Set", "Promise", "Symbol", "Date", "Error", "Uint8Array", "Number", "String", "Boolean", "BigInt",
        "EventContext", "CallResult",
    ]

    init(schema: ModuleSchema, header: String, sdkImport: String) {
        self.schema = schema
        self.header = header
        self.sdkImport = sdkImport
        registry = TypeRegistry(schema: schema, reserved: Self.reserved)
    }

    func generate() -> String {
        let sdk = Naming.jsString(sdkImport)
        var out = header.split(separator: "\n", omittingEmptySubsequences: false).map { "// " + $0 }.joined(separator: "\n")
        // Finders on columns other than the primary key compare values by their BSATN.
        let scans = schema.tables.contains { t in ModuleSchema.singleColumnIndexes(t).contains { $0.column != t.primaryKey } }
        out += scans ? "\n\nimport { encode, parseType, toHex } from \(sdk);\n\n" : "\n\n"
        out += "/** @typedef {import(\(sdk)).StarlingClient} StarlingClient */\n"
        for t in ["Identity", "ConnectionId", "Timestamp", "TimeDuration", "TableCache"] {
            out += "/** @typedef {import(\(sdk)).\(t)} \(t) */\n"
        }
        out += "/** What a row callback is told (`event`: subscribe, unsubscribe, transaction or reconnect). @typedef {{ event: string, transaction?: object, queryId?: number }} EventContext */\n"
        out += "/** The outcome of a committed reducer call. @typedef {Awaited<ReturnType<StarlingClient['call']>>} CallResult */\n"
        for d in registry.decls { out += "\n" + typedef(d) }
        if scans { out += "\n" + helpers() }
        for (d, cls, _) in tableClasses() { out += "\n" + tableClass(d, cls) }
        out += "\n" + remoteTables() + "\n" + remoteReducers()
        return out
    }

    // MARK: - Types

    /// The JSDoc type of a value of `t` in the SDK's value mapping.
    func jsType(_ t: AlgebraicType) -> String {
        switch t {
        case .bool: "boolean"
        case .i8, .u8, .i16, .u16, .i32, .u32, .f32, .f64: "number"
        case .i64, .u64, .i128, .u128: "bigint"
        case .string: "string"
        case .bytes: "Uint8Array"
        case .array(let e): "Array<\(jsType(e))>"
        case .option(.option(let e)): "{ some: \(jsType(.option(e))) } | null"
        case .option(let e): "\(jsType(e)) | null"
        case .product(let p): registry.name(of: t) ?? objectType(p)
        case .sum(let s): registry.name(of: t) ?? unionType(s)
        case .identity: "Identity"
        case .connectionId: "ConnectionId"
        case .timestamp: "Timestamp"
        case .timeDuration: "TimeDuration"
        case .scheduleAt: "{ tag: 'interval', value: TimeDuration } | { tag: 'time', value: Timestamp }"
        }
    }

    private func key(_ name: String?, _ i: Int) -> String {
        let k = name ?? String(i)
        let plain = !k.isEmpty && k.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
            && !(k.unicodeScalars.first! >= "0" && k.unicodeScalars.first! <= "9")
        return plain ? k : Naming.jsString(k)
    }

    private func objectType(_ p: ProductType) -> String {
        if p.fields.isEmpty { return "{}" }
        return "{ " + p.fields.enumerated().map { "\(key($1.name, $0)): \(jsType($1.type))" }.joined(separator: ", ") + " }"
    }

    private func unionType(_ s: SumType) -> String {
        if s.variants.isEmpty { return "never" }
        return s.variants.enumerated().map { i, v in
            let tag = Naming.jsString(v.name ?? String(i))
            return v.type == .unit ? "{ tag: \(tag) }" : "{ tag: \(tag), value: \(inlineType(v.type)) }"
        }.joined(separator: " | ")
    }

    /// A variant payload: an unnamed product is written out (its fields), anything else by name.
    private func inlineType(_ t: AlgebraicType) -> String {
        if case .product(let p) = t, registry.name(of: t) == nil { return objectType(p) }
        return jsType(t)
    }

    private func typedef(_ d: TypeDecl) -> String {
        var out = "/**\n * \(Naming.comment(d.origin))"
        if let t = d.table {
            out += t.access == .private ? " (private: only the database owner can read it)." : "."
        } else {
            out += ": `\(Naming.comment(d.type.description))`."
        }
        if let p = d.product {
            out += "\n * @typedef {object} \(d.name)\n"
            for (i, f) in p.fields.enumerated() {
                out += " * @property {\(jsType(f.type))} \(key(f.name, i)) `\(Naming.comment(f.type.description))`\n"
            }
            return out + " */\n"
        }
        let variants = d.sum!.variants.enumerated().map { i, v in
            let tag = Naming.jsString(v.name ?? String(i))
            return v.type == .unit ? "{ tag: \(tag) }" : "{ tag: \(tag), value: \(inlineType(v.type)) }"
        }
        let union = variants.isEmpty ? "never" : variants.joined(separator: "\n *   | ")
        return out + "\n * @typedef {\(union)} \(d.name)\n */\n"
    }

    // MARK: - Tables

    /// Each table's row typedef, wrapper class name and `db` accessor.
    func tableClasses() -> [(decl: TypeDecl, className: String, accessor: String)] {
        var usedClasses = Set(registry.decls.map(\.name)).union(Self.reserved)
        var usedAccessors: Set<String> = ["client", "constructor"]
        return registry.decls.filter { $0.table != nil }.map { d in
            var cls = d.name + "Table"
            while usedClasses.contains(cls) { cls += "_" }
            usedClasses.insert(cls)
            var accessor = Naming.jsIdentifier(Naming.camelCase(d.table!.name))
            while usedAccessors.contains(accessor) { accessor += "_" }
            usedAccessors.insert(accessor)
            return (d, cls, accessor)
        }
    }

    private func helpers() -> String {
        """
        /** Parsed column types by type string (for comparing values of non-key columns). @type {Map<string, any>} */
        const parsedTypes = new Map();

        /**
         * Whether `a` and `b` are the same value of the type `typeString` (compared by their BSATN).
         * @param {string} typeString @param {any} a @param {any} b @returns {boolean}
         */
        function sameValue(typeString, a, b) {
          let type = parsedTypes.get(typeString);
          if (!type) {
            type = parseType(typeString);
            parsedTypes.set(typeString, type);
          }
          return toHex(encode(type, a)) === toHex(encode(type, b));
        }

        """
    }

    private func tableClass(_ d: TypeDecl, _ cls: String) -> String {
        let t = d.table!
        let row = d.name
        var out = "/** Table `\(Naming.comment(t.name))`\(t.access == .private ? " (private)" : ""): cached rows are {@link \(row)}. */\n"
        out += "export class \(cls) {\n"
        out += "  /** @param {StarlingClient} client */\n  constructor(client) {\n"
        out += "    /** The SDK's cache of the table. @type {TableCache} */\n    this.cache = client.table(\(Naming.jsString(t.name)));\n  }\n\n"
        out += "  /** Every cached row, each once. @returns {\(row)[]} */\n  rows() {\n    return this.cache.rows();\n  }\n\n"
        out += "  /** The number of cached rows. @returns {number} */\n  count() {\n    return this.cache.count();\n  }\n\n"
        out += "  /** @returns {IterableIterator<\(row)>} */\n  [Symbol.iterator]() {\n    return this.cache[Symbol.iterator]();\n  }\n\n"
        let callbacks = [
            ("Insert", "row: \(row)", "when a row enters the cache"), ("Delete", "row: \(row)", "when a row leaves the cache"),
            ("Update", "oldRow: \(row), newRow: \(row)", "when one message replaces a row by one with the same primary key"),
        ]
        for (kind, params, when) in callbacks {
            out += "  /**\n   * Calls `f` \(when). Returns a function that removes `f`.\n"
            out += "   * @param {(\(params), ctx: EventContext) => void} f @returns {() => void}\n   */\n"
            out += "  on\(kind)(f) {\n    return this.cache.on\(kind)(f);\n  }\n\n"
        }
        let names = ModuleSchema.singleColumnIndexes(t)
        for (c, unique) in names {
            let col = t.columns[c]
            let pascal = Naming.pascalCase(col.name)
            let param = Naming.jsIdentifier(Naming.camelCase(col.name))
            let type = jsType(col.type)
            let field = "r[\(Naming.jsString(col.name))]"
            let typeString = Naming.jsString(col.type.description)
            if c == t.primaryKey {
                out += "  /**\n   * The cached row whose primary key `\(Naming.comment(col.name))` is `\(param)`.\n"
                out += "   * @param {\(type)} \(param) @returns {\(row) | undefined}\n   */\n"
                out += "  findBy\(pascal)(\(param)) {\n    return this.cache.find(\(param));\n  }\n\n"
            } else if unique {
                out += "  /**\n   * The cached row whose unique column `\(Naming.comment(col.name))` is `\(param)`.\n"
                out += "   * @param {\(type)} \(param) @returns {\(row) | undefined}\n   */\n"
                out += "  findBy\(pascal)(\(param)) {\n    return this.rows().find((r) => sameValue(\(typeString), \(field), \(param)));\n  }\n\n"
            } else {
                out += "  /**\n   * The cached rows whose indexed column `\(Naming.comment(col.name))` is `\(param)`.\n"
                out += "   * @param {\(type)} \(param) @returns {\(row)[]}\n   */\n"
                out += "  filterBy\(pascal)(\(param)) {\n    return this.rows().filter((r) => sameValue(\(typeString), \(field), \(param)));\n  }\n\n"
            }
        }
        out.removeLast()
        return out + "}\n"
    }

    private func remoteTables() -> String {
        let tables = tableClasses()
        var out = "/** The database's tables with typed rows: `db.\(tables.first?.accessor ?? "table").rows()`. */\n"
        out += "export class RemoteTables {\n  /** @param {StarlingClient} client */\n  constructor(client) {\n    this.client = client;\n  }\n"
        for (d, cls, accessor) in tables {
            out += "\n  /** Table `\(Naming.comment(d.table!.name))`. @returns {\(cls)} */\n"
            out += "  get \(accessor)() {\n    return new \(cls)(this.client);\n  }\n"
        }
        out += "}\n\n"
        let queries = tables.filter { $0.decl.table!.access == .public }.map { Naming.jsString("SELECT * FROM \($0.decl.table!.name)") }
        out += "/** `SELECT * FROM` every public table: subscribe to these to see all the rows you may read. */\n"
        out += "export const ALL_PUBLIC_QUERIES = Object.freeze([\(queries.joined(separator: ", "))]);\n"
        return out
    }

    private func remoteReducers() -> String {
        var out = "/** The module's reducers as typed calls (each resolves once the transaction committed). */\n"
        out += "export class RemoteReducers {\n  /** @param {StarlingClient} client */\n  constructor(client) {\n    this.client = client;\n  }\n"
        var used: Set<String> = ["client", "constructor"]
        for r in schema.reducers where r.lifecycle == .none {
            var name = Naming.jsIdentifier(Naming.camelCase(r.name))
            while used.contains(name) { name += "_" }
            used.insert(name)
            var paramNames: [String] = []
            for p in r.params {
                var n = Naming.jsIdentifier(Naming.camelCase(p.name))
                while paramNames.contains(n) { n += "_" }
                paramNames.append(n)
            }
            let signature = r.params.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
            out += "\n  /**\n   * Calls reducer `\(Naming.comment(r.name))(\(Naming.comment(signature)))`.\n"
            for (p, n) in zip(r.params, paramNames) { out += "   * @param {\(jsType(p.type))} \(n)\n" }
            out += "   * @returns {Promise<CallResult>}\n   */\n"
            let args = ([Naming.jsString(r.name)] + paramNames).joined(separator: ", ")
            out += "  \(name)(\(paramNames.joined(separator: ", "))) {\n    return this.client.call(\(args));\n  }\n"
        }
        out += "}\n\n"
        out += "/**\n * The generated accessors for a connected client.\n * @param {StarlingClient} client\n"
        out += " * @returns {{ db: RemoteTables, reducers: RemoteReducers }}\n */\n"
        out += "export function bind(client) {\n  return { db: new RemoteTables(client), reducers: new RemoteReducers(client) };\n}\n"
        return out
    }
}
