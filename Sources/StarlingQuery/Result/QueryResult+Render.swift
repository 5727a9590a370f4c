public import StarlingTypes

extension QueryResult {
    /// `{"schema": [{"name": "id", "type": "u64"}, ...], "rows": [[1, "ann"], ...]}`: type names
    /// are ``AlgebraicType/description``, values use the JSON mapping of `docs/JSON.md`. A DML
    /// result has an empty schema and no rows.
    public var json: JSONValue {
        let schema: [JSONValue] = columns.map { ["name": .string($0.name), "type": .string($0.type.description)] }
        let rows: [JSONValue] = rows.map { row in .array(zip(row, columns).map { $0.json($1.type) }) }
        return ["schema": .array(schema), "rows": .array(rows)]
    }

    /// The results of several statements as one JSON array (the body of the HTTP SQL endpoint).
    public static func json(_ results: [QueryResult]) -> JSONValue { .array(results.map(\.json)) }

    /// An aligned table like psql's: header, a line of dashes, the rows, and `(N rows)`. Numbers
    /// are right-aligned; strings print without quotes, `none` as an empty cell, other values as
    /// their JSON. A DML result prints `N rows affected`.
    public var textTable: String {
        if let affectedRows, columns.isEmpty {
            return "\(affectedRows) \(affectedRows == 1 ? "row" : "rows") affected\n"
        }
        let cells = rows.map { row in zip(row, columns).map { Self.cell($0, $1.type) } }
        var widths = columns.map { $0.name.count }
        for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        let rightAligned = columns.map { ValueOrder.isNumeric(ValueOrder.base($0.type)) }
        func line(_ values: [String], header: Bool) -> String {
            let padded = values.enumerated().map { i, v in
                let pad = String(repeating: " ", count: widths[i] - v.count)
                return " " + (rightAligned[i] && !header ? pad + v : v + pad) + " "
            }
            return trimmingTrailingSpaces(padded.joined(separator: "|"))
        }
        var out = line(columns.map(\.name), header: true) + "\n"
        out += widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "\n"
        for row in cells { out += line(row, header: false) + "\n" }
        out += "(\(rows.count) \(rows.count == 1 ? "row" : "rows"))\n"
        return out
    }

    private static func cell(_ v: AlgebraicValue, _ type: AlgebraicType) -> String {
        switch v {
        case .string(let s): return s
        case .option(nil): return ""
        case .option(let x?):
            if case .option(let inner) = type { return cell(x, inner) }
            return cell(x, type)
        default:
            let j = v.json(type)
            if case .string(let s) = j { return s }
            return j.text
        }
    }
}

private func trimmingTrailingSpaces(_ s: String) -> String {
    var s = Substring(s)
    while s.last == " " { s.removeLast() }
    return String(s)
}
