/// Why a module's schema was refused at publish.
public struct ModuleSchemaError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A module's validated schema: its tables (as datastore schemas), reducers and filters.
public struct ModuleSchema: Hashable, Sendable {
    /// Table items in the order the module described them.
    public var tableItems: [TableItem]
    /// The datastore schema of each table, same order as `tableItems`.
    public var tables: [TableSchema]
    public var reducers: [ReducerItem]
    public var rowLevelSecurity: [String]
    public var namedTypes: [(name: String, type: AlgebraicType)] {
        namedTypeList.map { ($0.name, $0.type) }
    }
    var namedTypeList: [ColumnItem]
    /// Column defaults, validated: each names a column of one of `tableItems` and decodes as its type.
    public var columnDefaults: [ColumnDefaultItem]

    /// Validates `items` (see `docs/module-abi.md`, "Validation at publish").
    public init(items: [ModuleItem]) throws(ModuleSchemaError) {
        var tableItems: [TableItem] = []
        var reducers: [ReducerItem] = []
        var rls: [String] = []
        var named: [ColumnItem] = []
        var defaults: [ColumnDefaultItem] = []
        for item in items {
            switch item {
            case .table(let t): tableItems.append(t)
            case .reducer(let r): reducers.append(r)
            case .rowLevelSecurity(let sql): rls.append(sql)
            case .namedType(let name, let type): named.append(ColumnItem(name, type))
            case .columnDefault(let d): defaults.append(d)
            }
        }
        try Self.checkUnique(tableItems.map { $0.name }, what: "table")
        try Self.checkUnique(reducers.map { $0.name }, what: "reducer")
        var tables: [TableSchema] = []
        for t in tableItems { tables.append(try t.schema()) }
        for lifecycle in [Lifecycle.initialize, .clientConnected, .clientDisconnected] {
            let named = reducers.filter { $0.lifecycle == lifecycle }
            if named.count > 1 {
                throw ModuleSchemaError(
                    "reducers `\(named[0].name)` and `\(named[1].name)` are both the \(lifecycle.label) reducer; a module has at most one")
            }
            if let r = named.first, !r.params.isEmpty {
                throw ModuleSchemaError("the \(lifecycle.label) reducer `\(r.name)` must not take parameters")
            }
        }
        for t in tableItems {
            guard let s = t.schedule else { continue }
            guard let r = reducers.first(where: { $0.name == s.reducer }) else {
                throw ModuleSchemaError("table `\(t.name)` is scheduled to call reducer `\(s.reducer)`, which does not exist")
            }
            let rowType = AlgebraicType.product(ProductType(t.columns.map { .init($0.name, $0.type) }))
            guard r.params.count == 1, r.params[0].type == rowType else {
                throw ModuleSchemaError(
                    "reducer `\(r.name)` is scheduled by table `\(t.name)`, so it must take exactly one parameter of that table's row type")
            }
        }
        try Self.checkDefaults(defaults, tableItems)
        self.columnDefaults = defaults
        self.tableItems = tableItems
        self.tables = tables
        self.reducers = reducers
        self.rowLevelSecurity = rls
        self.namedTypeList = named
    }

    /// The reducer with this lifecycle, if the module has one.
    public func reducer(for lifecycle: Lifecycle) -> ReducerItem? {
        reducers.first { $0.lifecycle == lifecycle }
    }

    /// The declared defaults of `table`'s columns, by column name.
    public func defaultValues(of table: String) -> [String: AlgebraicValue] {
        guard let t = tableItems.first(where: { $0.name == table }) else { return [:] }
        var out: [String: AlgebraicValue] = [:]
        for d in columnDefaults where d.table == table {
            let column = t.columns[Int(d.column)]
            out[column.name] = try? AlgebraicValue.decode(column.type, from: d.value)
        }
        return out
    }

    /// Each default must name a column of a declared table, once, and hold exactly one value of
    /// the column's type.
    private static func checkDefaults(_ defaults: [ColumnDefaultItem], _ tables: [TableItem]) throws(ModuleSchemaError) {
        var seen = Set<String>()
        for d in defaults {
            guard let t = tables.first(where: { $0.name == d.table }) else {
                throw ModuleSchemaError("a column default names table `\(d.table)`, which the module does not declare")
            }
            guard Int(d.column) < t.columns.count else {
                throw ModuleSchemaError(
                    "table `\(t.name)`: a column default refers to column \(d.column), but the table has \(t.columns.count) columns")
            }
            let column = t.columns[Int(d.column)]
            guard seen.insert("\(t.name).\(d.column)").inserted else {
                throw ModuleSchemaError("table `\(t.name)`: column `\(column.name)` has two defaults")
            }
            do throws(BSATNError) {
                _ = try AlgebraicValue.decode(column.type, from: d.value)
            } catch {
                throw ModuleSchemaError(
                    "table `\(t.name)`: the default value of column `\(column.name)` is not a value of its type \(column.type) (\(error.message)); give a default of the column's type"
                )
            }
        }
    }

    private static func checkUnique(_ names: [String], what: String) throws(ModuleSchemaError) {
        var seen = Set<String>()
        for n in names {
            if n.isEmpty { throw ModuleSchemaError("a \(what) has an empty name") }
            if !seen.insert(n).inserted { throw ModuleSchemaError("two \(what)s are named `\(n)`") }
        }
    }

    public static func == (a: ModuleSchema, b: ModuleSchema) -> Bool {
        a.tableItems == b.tableItems && a.reducers == b.reducers && a.rowLevelSecurity == b.rowLevelSecurity
            && a.namedTypeList == b.namedTypeList && a.columnDefaults == b.columnDefaults
    }

    public func hash(into h: inout Hasher) {
        h.combine(tableItems)
        h.combine(reducers)
    }
}

extension Lifecycle {
    /// How the ABI and error messages name this lifecycle.
    public var label: String {
        switch self {
        case .none: "plain"
        case .initialize: "init"
        case .clientConnected: "client_connected"
        case .clientDisconnected: "client_disconnected"
        }
    }
}

extension TableItem {
    /// The datastore schema for this table, with the indexes its keys imply made explicit.
    public func schema() throws(ModuleSchemaError) -> TableSchema {
        let n = columns.count
        func check(_ c: UInt16, _ what: String) throws(ModuleSchemaError) -> Int {
            guard Int(c) < n else {
                throw ModuleSchemaError("table `\(name)`: \(what) refers to column \(c), but the table has \(n) columns")
            }
            return Int(c)
        }
        func colNames(_ cs: [Int]) -> String {
            var s = ""
            for c in cs { s += "_" + columns[c].name }
            return s
        }
        if n == 0 { throw ModuleSchemaError("table `\(name)` has no columns") }
        var seen = Set<String>()
        for c in columns where !seen.insert(c.name).inserted {
            throw ModuleSchemaError("table `\(name)` has two columns named `\(c.name)`")
        }
        var indexes = self.indexes.map {
            IndexSchema(name: $0.name, columns: [], algorithm: $0.algorithm, isUnique: $0.isUnique)
        }
        var uniqueSets: [[Int]] = []
        if let pk = primaryKey { uniqueSets.append([try check(pk, "the primary key")]) }
        for u in unique {
            var cs: [Int] = []
            for c in u { cs.append(try check(c, "a unique constraint")) }
            if cs.isEmpty { throw ModuleSchemaError("table `\(name)` has a unique constraint with no columns") }
            uniqueSets.append(cs)
        }
        for (k, item) in self.indexes.enumerated() {
            var cs: [Int] = []
            for c in item.columns { cs.append(try check(c, "index `\(item.name)`")) }
            if cs.isEmpty { throw ModuleSchemaError("table `\(name)`: index `\(item.name)` has no columns") }
            indexes[k].columns = cs
            if indexes[k].name.isEmpty { indexes[k].name = name + colNames(cs) + "_idx" }
        }
        var constraints: [ConstraintSchema] = []
        for cs in uniqueSets {
            let constraintName = name + colNames(cs) + "_key"
            if constraints.contains(where: { $0.columns == cs }) { continue }
            constraints.append(ConstraintSchema(name: constraintName, columns: cs))
            if let k = indexes.firstIndex(where: { $0.columns == cs && $0.algorithm == .btree }) {
                indexes[k].isUnique = true
            } else {
                indexes.append(IndexSchema(name: constraintName, columns: cs, algorithm: .btree, isUnique: true))
            }
        }
        try checkIndexNames(indexes)
        var sequences: [SequenceSchema] = []
        for c in autoInc {
            let col = try check(c, "an auto-increment column")
            guard columns[col].type.isInteger else {
                throw ModuleSchemaError(
                    "table `\(name)`: auto-increment column `\(columns[col].name)` has type \(columns[col].type), not an integer")
            }
            sequences.append(SequenceSchema(name: name + "_" + columns[col].name + "_seq", column: col))
        }
        if let s = schedule {
            let col = try check(s.atColumn, "the schedule")
            guard columns[col].type == .scheduleAt else {
                throw ModuleSchemaError(
                    "table `\(name)`: schedule column `\(columns[col].name)` has type \(columns[col].type), not ScheduleAt")
            }
        }
        return TableSchema(
            name: name, columns: columns.map { ColumnSchema($0.name, $0.type) }, primaryKey: primaryKey.map(Int.init),
            indexes: indexes, constraints: constraints, sequences: sequences, access: isPublic ? .public : .private)
    }

    private func checkIndexNames(_ indexes: [IndexSchema]) throws(ModuleSchemaError) {
        var seen = Set<String>()
        for i in indexes where !seen.insert(i.name).inserted {
            throw ModuleSchemaError("table `\(name)` has two indexes named `\(i.name)`")
        }
    }
}
