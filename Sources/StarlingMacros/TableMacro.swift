import SwiftSyntax
import SwiftSyntaxBuilder
import SwiftSyntaxMacros

/// `@Table` on a struct: the rows of a table. Generates the `TableRow` conformance (BSATN, the
/// typed `Handle` with one accessor per index) and a describer export that tells the host the
/// table's schema. Arguments: `name:` (default: the type name in snake_case), `public:` (default
/// false), `scheduled:` (a reducer called for each row at its `ScheduleAt` column),
/// `rowFilters:` (row-level-security SQL filters for this table), `indexes:` (indexes on one or
/// more columns, each with a typed accessor; see `IndexDeclarations.swift`). Stored properties
/// with an initial value describe it as their column's default (`ColumnDefaults.swift`).
public struct TableMacro: ExtensionMacro, PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax, providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        guard let s = declaration.as(StructDeclSyntax.self) else { return [] }
        let table = try TableModel(node, s)
        let access = accessPrefix(s.modifiers)
        var members = productCodableMembers(table.props, access: access)
        let typeName = s.name.text
        members.append("\(access)static var tableName: String { \(literal(table.name)) }")
        members.append("nonisolated(unsafe) static var __starling_tid: UInt32 = 0xFFFF_FFFF")
        members.append(
            """
            \(access)static var __tableID: UInt32 {
            if __starling_tid == 0xFFFF_FFFF { __starling_tid = __starlingTableID(\(literal(table.name))) }
            return __starling_tid
            }
            """)
        var accessors: [String] = []
        for ix in table.indexAccessors {
            let slot = "__starling_idx_\(ix.property.name)"
            members.append("nonisolated(unsafe) static var \(slot): UInt32 = 0xFFFF_FFFF")
            accessors.append(
                """
                \(access)var \(ix.property.name): \(ix.kind)<\(typeName), \(ix.property.type)> {
                if \(typeName).\(slot) == 0xFFFF_FFFF { \(typeName).\(slot) = __starlingIndexID(\(literal(ix.indexName))) }
                return \(ix.kind)(indexID: \(typeName).\(slot), name: \(literal(ix.indexName)))
                }
                """)
        }
        for ix in table.declaredIndexes {
            let gen = IndexAccessorGenerator(index: ix, props: table.props, rowType: typeName, access: access)
            members.append("nonisolated(unsafe) static var \(gen.slot): UInt32 = 0xFFFF_FFFF")
            accessors.append(gen.property(indexName: ix.indexName(table: table.name)))
            accessors.append(gen.structDecl)
        }
        for d in table.defaults {
            members.append("static var \(d.member): \(d.property.type) { \(d.property.initializer!.trimmedDescription) }")
        }
        members.append(
            """
            \(access)struct Handle: TableHandle {
            \(access)typealias Row = \(typeName)
            \(access)init() {}
            \(accessors.joined(separator: "\n"))
            }
            """)
        let ext: DeclSyntax = "extension \(type.trimmed): BSATNCodable, TableRow {\n\(raw: members.joined(separator: "\n"))\n}"
        return [ext.cast(ExtensionDeclSyntax.self)]
    }

    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol, in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard let s = declaration.as(StructDeclSyntax.self) else {
            throw MacroError("@Table goes on a struct whose stored properties are the columns", at: node)
        }
        let table = try TableModel(node, s)
        let export = "__starling_describe__table_\(table.name)"
        var items = [".table(\(table.itemExpression))"]
        for d in table.defaults {
            items.append(
                ".columnDefault(ColumnDefaultItem(table: \(literal(table.name)), column: \(d.column), value: \(s.name.text).\(d.member).bsatn))")
        }
        for f in table.rowFilters { items.append(".rowLevelSecurity(\(literal(f)))") }
        let body = items.map { "__starlingDescribe(\($0))" }.joined(separator: "\n")
        return [
            """
            @_expose(wasm, \(literal: export)) @_cdecl(\(literal: export))
            func __starling_describe__table_\(raw: s.name.text)() {
            \(raw: body)
            }
            """
        ]
    }
}

/// What `@Table` and its column attributes declare.
struct TableModel {
    struct IndexAccessor {
        var property: StoredProperty
        var kind: String
        var indexName: String
    }

    var name: String
    var isPublic: Bool
    var scheduled: String?
    var rowFilters: [String]
    var props: [StoredProperty]
    var primaryKey: Int?
    var unique: [Int] = []
    var autoInc: [Int] = []
    var indexes: [(column: Int, algorithm: String)] = []
    var indexAccessors: [IndexAccessor] = []
    /// Indexes declared with `@Table(indexes:)`.
    var declaredIndexes: [DeclaredIndex] = []
    /// Columns whose property has an initial value.
    var defaults: [ColumnDefault] = []
    var scheduleColumn: Int?

    init(_ node: AttributeSyntax, _ s: StructDeclSyntax) throws {
        let args = AttributeArguments(node)
        name = try args.string("name") ?? snakeCase(s.name.text)
        isPublic = try args.bool("public") ?? false
        scheduled = try args.string("scheduled")
        rowFilters = try args.strings("rowFilters")
        props = try storedProperties(of: s)
        if props.isEmpty { throw MacroError("a table needs at least one stored property (column)", at: s.name) }
        for (i, p) in props.enumerated() { try classify(i, p) }
        var taken: [String: String] = [:]
        for member in ["count", "insert", "iter", "delete", "clear"] { taken[member] = "the table handle's `\(member)`" }
        for ix in indexAccessors { taken[ix.property.name] = "the index accessor of property `\(ix.property.name)`" }
        var parser = IndexDeclarationParser(props: props, typeName: s.name.text, taken: taken)
        if let pk = primaryKey { parser.propertyIndexes.append(([pk], false, "the primary key `\(props[pk].name)`")) }
        for u in unique { parser.propertyIndexes.append(([u], false, "`@Unique var \(props[u].name)`")) }
        for ix in indexes { parser.propertyIndexes.append(([ix.column], ix.algorithm == "hash", "`@Index var \(props[ix.column].name)`")) }
        declaredIndexes = try parser.parse(args.labeled["indexes"])
        for (i, p) in props.enumerated() where p.initializer != nil {
            try ColumnDefault.check(p)
            defaults.append(ColumnDefault(column: i, property: p))
        }
        if scheduled != nil && scheduleColumn == nil {
            throw MacroError("a scheduled table needs a column of type ScheduleAt", at: node)
        }
    }

    private mutating func classify(_ i: Int, _ p: StoredProperty) throws {
        if p.has("PrimaryKey") {
            if primaryKey != nil { throw MacroError("a table has at most one @PrimaryKey", at: p.attributes["PrimaryKey"]!) }
            primaryKey = i
            indexAccessors.append(.init(property: p, kind: "UniqueIndex", indexName: "\(name)_\(p.columnName)_key"))
        } else if p.has("Unique") {
            unique.append(i)
            indexAccessors.append(.init(property: p, kind: "UniqueIndex", indexName: "\(name)_\(p.columnName)_key"))
        }
        if p.has("AutoInc") { autoInc.append(i) }
        if let attr = p.attributes["Index"] {
            let hash = attr.arguments?.trimmedDescription.contains("hash") ?? false
            // A key column's unique btree index already serves lookups and ranges.
            if !p.has("PrimaryKey") && !p.has("Unique") {
                indexes.append((i, hash ? "hash" : "btree"))
                indexAccessors.append(
                    .init(property: p, kind: hash ? "HashIndex" : "RangeIndex", indexName: "\(name)_\(p.columnName)_idx"))
            }
        }
        if p.type == "ScheduleAt" && scheduled != nil { scheduleColumn = i }
    }

    /// A Swift expression building this table's `TableItem`.
    var itemExpression: String {
        let columns = props.map { "ColumnItem(\(literal($0.columnName)), \($0.type).algebraicType)" }.joined(separator: ", ")
        let indexItems = indexes.map { ix in
            "IndexItem(name: \(literal("\(name)_\(props[ix.column].columnName)_idx")), algorithm: .\(ix.algorithm), columns: [\(ix.column)])"
        }
        let declaredItems = declaredIndexes.map { ix in
            "IndexItem(name: \(literal(ix.indexName(table: name))), algorithm: .\(ix.isHash ? "hash" : "btree"), columns: \(ix.columns), isUnique: \(ix.isUnique))"
        }
        let uniqueSets: [[Int]] = unique.map { [$0] } + declaredIndexes.filter { $0.isUnique }.map { $0.columns }
        let schedule = scheduled.map { "TableItem.Schedule(reducer: \(literal($0)), atColumn: \(scheduleColumn!))" } ?? "nil"
        return """
            TableItem(name: \(literal(name)), columns: [\(columns)], primaryKey: \(primaryKey.map(String.init) ?? "nil"), \
            indexes: [\((indexItems + declaredItems).joined(separator: ", "))], unique: \(uniqueSets), \
            autoInc: [\(autoInc.map(String.init).joined(separator: ", "))], isPublic: \(isPublic), schedule: \(schedule))
            """
    }
}
