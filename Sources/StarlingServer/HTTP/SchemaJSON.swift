import StarlingTypes

/// The JSON form of a module's schema (`GET /v1/database/:name/schema`, `starling describe --json`).
enum SchemaJSON {
    static func schema(_ s: ModuleSchema) -> JSONValue {
        [
            "tables": .array(s.tables.map { table($0, defaults: s.defaultValues(of: $0.name)) }),
            "reducers": .array(s.reducers.map(reducer)),
            "row_level_security": .array(s.rowLevelSecurity.map { .string($0) }),
            "types": .array(s.namedTypes.map { ["name": .string($0.name), "type": .string($0.type.description)] }),
        ]
    }

    /// A table; a column with a declared default has `"default"` (the value in JSON).
    static func table(_ t: TableSchema, defaults: [String: AlgebraicValue] = [:]) -> JSONValue {
        let scheduled = t.sequences.isEmpty ? [] : t.sequences.map { JSONValue.string(t.columns[$0.column].name) }
        return [
            "name": .string(t.name),
            "access": .string(t.access.rawValue),
            "columns": .array(t.columns.map { column($0, default: defaults[$0.name]) }),
            "primary_key": t.primaryKey.map { .string(t.columns[$0].name) } ?? .null,
            "indexes": .array(
                t.indexes.map { ix in
                    [
                        "name": .string(ix.name), "columns": .array(ix.columns.map { .string(t.columns[$0].name) }),
                        "algorithm": .string(ix.algorithm.rawValue), "unique": .bool(ix.isUnique),
                    ]
                }),
            "auto_inc": .array(scheduled),
        ]
    }

    static func column(_ c: ColumnSchema, default value: AlgebraicValue?) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("name", .string(c.name)), ("type", .string(c.type.description))]
        if let value { members.append(("default", value.json(c.type))) }
        return .object(members)
    }

    static func reducer(_ r: ReducerItem) -> JSONValue {
        [
            "name": .string(r.name),
            "params": .array(r.params.map { ["name": .string($0.name), "type": .string($0.type.description)] }),
            "lifecycle": r.lifecycle == .none ? .null : .string(r.lifecycle.label),
        ]
    }
}
