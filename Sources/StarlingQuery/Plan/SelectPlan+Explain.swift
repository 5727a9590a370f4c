import StarlingTypes

extension SelectPlan {
    /// The plan as indented lines, outermost operator first; children are indented two spaces.
    var explainLines: [String] {
        var root: [Node] = [joinTree(tables.count - 1)]
        if !order.isEmpty {
            let keys = order.map { $0.display + ($0.descending ? " DESC" : "") }.joined(separator: ", ")
            root = [Node("Sort: \(keys)", root)]
        }
        if let limit { root = [Node("Limit: \(limit)", root)] }
        switch output {
        case .count(let name): root = [Node("Count AS \(name)", root)]
        case .columns(let cs):
            let names = cs.map { c in
                let source = slotName(c.slot)
                return source == c.name || source.hasSuffix(".\(c.name)") ? source : "\(source) AS \(c.name)"
            }
            root = [Node("Project: \(names.joined(separator: ", "))", root)]
        }
        var lines: [String] = []
        root[0].render(depth: 0, into: &lines)
        return lines
    }

    private struct Node {
        var text: String
        var children: [Node]
        init(_ text: String, _ children: [Node] = []) {
            self.text = text
            self.children = children
        }
        func render(depth: Int, into lines: inout [String]) {
            lines.append(String(repeating: "  ", count: depth) + text)
            for c in children { c.render(depth: depth + 1, into: &lines) }
        }
    }

    /// How a joined-row slot is shown: `p.score`, or `score` for one-table queries.
    private func slotName(_ slot: Int) -> String {
        for tp in tables where slot >= tp.table.offset && slot < tp.table.offset + tp.table.schema.columns.count {
            let name = tp.table.schema.columns[slot - tp.table.offset].name
            return tables.count > 1 ? "\(tp.table.referenceName).\(name)" : name
        }
        return "#\(slot)"
    }

    /// Tables `0...last`, joined left-deep.
    private func joinTree(_ last: Int) -> Node {
        let tp = tables[last]
        var node = Self.filtered(Node(Self.accessText(tp)), tp.localFilters)
        guard last > 0 else { return node }
        let outer = joinTree(last - 1)
        switch tp.join {
        case .first: break
        case .indexLookup: node = Node("Index Join", [outer, node])
        case .nestedLoop: node = Node("Nested Loop Join", [outer, node])
        case .hash(let o, let i):
            let on = zip(o, i).map { "\($0.display) = \($1.display)" }.joined(separator: " AND ")
            node = Node("Hash Join: \(on)", [outer, node])
        }
        return Self.filtered(node, tp.joinFilters)
    }

    private static func filtered(_ node: Node, _ filters: [BoundExpr]) -> Node {
        guard !filters.isEmpty else { return node }
        let text = filters.map { f in if case .or = f { "(\(f.sql))" } else { f.sql } }.joined(separator: " AND ")
        return Node("Filter: \(text)", [node])
    }

    static func accessText(_ tp: TablePlan) -> String {
        let table = tp.table
        func column(_ position: Int) -> String { table.schema.columns[position].name }
        switch tp.access {
        case .scan:
            return "Scan \(table.displayName)"
        case .seek(let index, let key):
            let conds = zip(index.schema.columns, key).map { "\(column($0)) = \($1.sql)" }
            return "Index Seek \(table.displayName) USING \(index.schema.name) (\(conds.joined(separator: ", ")))"
        case .range(let index, let prefix, let lower, let upper):
            var conds = zip(index.schema.columns, prefix).map { "\(column($0)) = \($1.sql)" }
            let c = column(index.schema.columns[prefix.count])
            if let lower { conds.append("\(c) \(lower.inclusive ? ">=" : ">") \(lower.value.sqlLiteral)") }
            if let upper { conds.append("\(c) \(upper.inclusive ? "<=" : "<") \(upper.value.sqlLiteral)") }
            return "Index Range \(table.displayName) USING \(index.schema.name) (\(conds.joined(separator: ", ")))"
        }
    }
}
