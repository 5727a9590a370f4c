import StarlingProtocol
import StarlingTypes

/// Subscription queries the server can serve before the query engine plans them:
/// `SELECT * FROM t` and `SELECT t.* FROM t` (whole tables).
enum SubscriptionQuery {
    /// The table a whole-table query reads, if the caller may see it.
    static func table(of sql: String, visibleTo isOwner: Bool, in schema: ModuleSchema) -> Result<String, ProtocolError> {
        var words = sql.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        if let last = words.last, last.hasSuffix(";") {
            words[words.count - 1].removeLast()
            if words[words.count - 1].isEmpty { words.removeLast() }
        }
        guard words.count == 4, words[0].uppercased() == "SELECT", words[2].uppercased() == "FROM" else {
            return .failure(ProtocolError("unsupported subscription query `\(sql)`: subscribe to whole tables (`SELECT * FROM t`)"))
        }
        let table = words[3]
        guard words[1] == "*" || words[1] == table + ".*" else {
            return .failure(ProtocolError("a subscription returns whole rows: write `SELECT * FROM \(table)`"))
        }
        guard let t = schema.tables.first(where: { $0.name == table }), t.access == .public || isOwner else {
            return .failure(ProtocolError("table `\(table)` not found"))
        }
        return .success(table)
    }
}
