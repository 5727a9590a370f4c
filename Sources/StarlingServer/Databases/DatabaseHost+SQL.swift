import StarlingModuleHost
import StarlingProtocol
import StarlingQuery
import StarlingRuntime
import StarlingStore
import StarlingTypes

extension DatabaseHost {
    /// Runs `;`-separated SQL for an HTTP caller: one JSON result per statement. Statements that
    /// write (owner only) run together in one transaction, logged and sent to subscribers like a
    /// reducer's; if one fails, none of them is kept. Runs on the worker thread (see
    /// ``Routes/serveDirectly(_:_:reply:)``): the results as JSON, or the HTTP error.
    func sqlForHTTP(_ text: String, caller: Identity, _ db: ModuleDatabase) -> Result<[JSONValue], HTTPError> {
        switch runSQL(text, caller: caller, db) {
        case .success(let results): return .success(results.map(\.json))
        case .failure(let e): return .failure(HTTPError(e.code == .permission ? 403 : 400, e.description))
        }
    }

    /// Parses and runs SQL on the worker thread.
    /// Reads go through the database's ``QueryCache`` (repeated query shapes skip parsing and planning).
    func runSQL(_ text: String, caller: Identity, _ db: ModuleDatabase) -> Result<[QueryResult], SQLError> {
        let context: QueryContext
        switch queryContext(caller, isOwner: caller == db.info.owner) {
        case .success(let c): context = c
        case .failure(let e): return .failure(e)
        }
        let statements: [SQL.Statement]
        do {
            let cache = queryCache
            switch try db.store.read({ tx throws(SQLError) in try cache.run(text, in: tx, context: context) }) {
            case .read(let results): return .success(results)
            case .write(let s): statements = s
            }
        } catch {
            return .failure(error)
        }
        let (result, call) = db.transaction("__sql__", caller: caller) { tx throws(SQLError) in
            try QueryEngine.execute(statements, in: tx, context: context)
        }
        if case .success = result {
            metrics.recordCall(call)
            if let failure = call.outcome.message { return .failure(SQLError(.store, failure)) }
            broadcast(call, db, caller: caller, connection: .zero, args: [], requestId: 0, callerSession: nil)
            awaitDurability(db)
        }
        return result
    }

    /// A read-only query for one WebSocket client: its error, or its result tables.
    func oneOffQuery(_ text: String, _ session: ClientSession, _ db: ModuleDatabase) -> (String?, [OneOffTable]) {
        let statements: [SQL.Statement]
        do { statements = try SQL.parse(text) } catch { return (error.description, []) }
        if statements.contains(where: \.isDML) { return ("a OneOffQuery is read-only: run INSERT/UPDATE/DELETE through `sql`", []) }
        do {
            let context = try queryContext(session.identity, isOwner: session.isOwner).get()
            let results = try db.store.read { tx throws(SQLError) in try QueryEngine.query(statements, in: tx, context: context) }
            let tables = zip(statements, results).map { statement, r in
                OneOffTable(
                    tableName: statement.tableName ?? "", schema: r.columns.map { ColumnSchema($0.name, $0.type) },
                    rows: r.rows.map { AlgebraicValue.product($0).bsatn })
            }
            return (nil, tables)
        } catch {
            return (error.description, [])
        }
    }
}

extension SQL.Statement {
    /// The table a SELECT reads first (its FROM table), for naming result sets.
    var tableName: String? {
        switch self {
        case .select(let s), .explain(let s): s.from.name.text
        default: nil
        }
    }
}
