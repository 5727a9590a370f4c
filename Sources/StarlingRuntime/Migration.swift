import StarlingStore
import StarlingTypes

/// What an update changes, once it is known to be compatible.
public struct MigrationPlan: Hashable, Sendable {
    /// Tables the new module adds.
    public var newTables: [TableSchema] = []
    /// Columns appended to existing tables, by table.
    public var newColumns: [String: [ColumnSchema]] = [:]
    /// What existing rows receive in the appended columns that declare a default, by table and
    /// column name (the others get their type's zero value).
    public var newColumnDefaults: [String: [String: AlgebraicValue]] = [:]
    /// Indexes added to existing tables, by table (built over the existing rows).
    public var newIndexes: [String: [IndexSchema]] = [:]
    /// Human-readable lines describing the change (for the publisher).
    public var summary: [String] = []
}

/// Decides whether a new module's schema can replace the current tables without losing data.
///
/// Compatible: adding tables, appending columns to a table (existing rows get the column's
/// declared default, or else its type's zero value),
/// adding indexes (a new unique index must hold for the existing rows), changing reducers.
/// Anything else (removing or renaming a table or column, changing a type, key, access,
/// auto-increment, or removing an index) is refused with one line per problem; the publisher may
/// clear the database instead.
enum Migration {
    static func plan(
        current: [TableSchema], new: [TableSchema], oldReducers: [String], newReducers: [String],
        defaults: (String) -> [String: AlgebraicValue] = { _ in [:] }
    ) throws(RuntimeError) -> MigrationPlan {
        var plan = MigrationPlan()
        var problems: [String] = []
        let newByName = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for old in current {
            guard let next = newByName[old.name] else {
                problems.append("table `\(old.name)` would be removed (its rows would be lost)")
                continue
            }
            problems += differences(old, next)
            let added = Array(next.columns.dropFirst(old.columns.count))
            if !added.isEmpty {
                plan.newColumns[old.name] = added
                let declared = defaults(old.name)
                var used: [String: AlgebraicValue] = [:]
                for c in added {
                    if let d = declared[c.name] {
                        used[c.name] = d
                        plan.summary.append("+ column `\(old.name).\(c.name)` (\(c.type), existing rows get its default \(d.json(c.type).text))")
                    } else {
                        plan.summary.append("+ column `\(old.name).\(c.name)` (\(c.type), existing rows get its zero value)")
                    }
                }
                if !used.isEmpty { plan.newColumnDefaults[old.name] = used }
            }
            let oldShapes = Set(old.indexes.map { IndexShape($0) })
            let addedIndexes = next.indexes.filter { !oldShapes.contains(IndexShape($0)) }
            if !addedIndexes.isEmpty {
                plan.newIndexes[old.name] = addedIndexes
                for ix in addedIndexes { plan.summary.append("+ index `\(ix.name)` on `\(old.name)`\(ix.isUnique ? " (unique)" : "")") }
            }
        }
        let currentNames = Set(current.map(\.name))
        for t in new where !currentNames.contains(t.name) {
            plan.newTables.append(t)
            plan.summary.append("+ table `\(t.name)` (\(t.columns.count) columns)")
        }
        for r in newReducers where !oldReducers.contains(r) { plan.summary.append("+ reducer `\(r)`") }
        for r in oldReducers where !newReducers.contains(r) { plan.summary.append("- reducer `\(r)`") }
        guard problems.isEmpty else {
            throw RuntimeError(
                .incompatibleSchema,
                "the new module is not compatible with the database's data:\n"
                    + problems.map { "  - " + $0 }.joined(separator: "\n")
                    + "\nPublish with --clear-database to replace the data, or keep these tables as they are.")
        }
        if plan.summary.isEmpty { plan.summary.append("schema unchanged") }
        return plan
    }

    /// Why `next` cannot replace `old` in place (empty when it can).
    static func differences(_ old: TableSchema, _ next: TableSchema) -> [String] {
        var out: [String] = []
        let t = "table `\(old.name)`"
        for (i, c) in old.columns.enumerated() {
            guard i < next.columns.count else {
                out.append("\(t): column `\(c.name)` would be removed")
                continue
            }
            let n = next.columns[i]
            if n.name != c.name {
                out.append("\(t): column \(i) is `\(c.name)` but would become `\(n.name)` (columns cannot be renamed or reordered)")
            } else if n.type != c.type {
                out.append("\(t): column `\(c.name)` has type \(c.type) but would become \(n.type)")
            }
        }
        if old.primaryKey != next.primaryKey {
            out.append("\(t): the primary key would change from \(keyName(old)) to \(keyName(next))")
        }
        if old.access != next.access {
            out.append("\(t): access would change from \(old.access.rawValue) to \(next.access.rawValue)")
        }
        let oldIndexes = Set(old.indexes.map { IndexShape($0) })
        let newIndexes = Set(next.indexes.map { IndexShape($0) })
        for ix in oldIndexes.subtracting(newIndexes).sorted(by: { $0.name < $1.name }) {
            out.append("\(t): index `\(ix.name)` would be removed or changed")
        }
        let oldUnique = Set(old.constraints.map(\.columns))
        for c in next.constraints where !oldUnique.contains(c.columns) {
            if !next.indexes.contains(where: { $0.columns == c.columns && $0.isUnique }) {
                out.append("\(t): unique constraint `\(c.name)` would be added without a unique index")
            }
        }
        if Set(old.sequences.map(\.column)) != Set(next.sequences.map(\.column)) {
            out.append("\(t): auto-increment columns would change")
        }
        return out
    }

    private static func keyName(_ s: TableSchema) -> String {
        s.primaryKey.map { "`\(s.columns[$0].name)`" } ?? "none"
    }

    /// The parts of an index that matter for compatibility.
    struct IndexShape: Hashable {
        var name: String
        var columns: [Int]
        var algorithm: IndexAlgorithm
        var isUnique: Bool
        init(_ i: IndexSchema) {
            name = i.name
            columns = i.columns
            algorithm = i.algorithm
            isUnique = i.isUnique
        }
    }
}
