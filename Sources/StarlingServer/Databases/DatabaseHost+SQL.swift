import StarlingProtocol
import StarlingRuntime
import StarlingStore
import StarlingTypes

extension DatabaseHost {
    /// Runs `;`-separated SQL for an HTTP caller: one JSON result per statement.
    func sql(_ text: String, caller: Identity) async -> Result<[JSONValue], HTTPError> {
        await perform { [self] db in
            let isOwner = caller == db.info.owner
            var results: [JSONValue] = []
            for statement in text.split(separator: ";").map(String.init) where !statement.allSatisfy(\.isWhitespace) {
                switch SubscriptionQuery.table(of: statement, visibleTo: isOwner, in: db.schema) {
                case .failure(let e): return .failure(HTTPError(400, e.message))
                case .success(let name):
                    let schema = db.schema.tables.first { $0.name == name }!
                    let rows = (try? db.store.read { tx throws(StoreError) in try tx.values(try tx.tableId(name)) }) ?? []
                    results.append([
                        "schema": .array(schema.columns.map { ["name": .string($0.name), "type": .string($0.type.description)] }),
                        "rows": .array(
                            rows.map { row in
                                guard case .product(let xs) = row else { return .array([]) }
                                return .array(zip(xs, schema.columns).map { $0.json($1.type) })
                            }),
                    ])
                }
            }
            _ = render
            return .success(results)
        }
    }
}
