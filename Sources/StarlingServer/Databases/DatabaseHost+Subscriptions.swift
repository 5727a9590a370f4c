import CoreMetrics
import StarlingProtocol
import StarlingQuery
import StarlingRuntime
import StarlingStore
import StarlingTypes

extension DatabaseHost {
    /// What a caller's queries may see: private tables for the owner only, the module's row-level
    /// security for everyone else, `:sender` bound to the caller.
    func queryContext(_ caller: Identity, isOwner: Bool) -> Result<QueryContext, SQLError> {
        if isOwner { return .success(QueryContext(caller: caller, isOwner: true)) }
        switch rowSecurity {
        case .success(let rls): return .success(QueryContext(caller: caller, isOwner: false, rowFilters: rls.rowFilters))
        case .failure(let e):
            return .failure(SQLError(.invalid, "this database's row-level security does not apply (\(e.message)); only its owner can query it"))
        }
    }

    /// Subscribes a client to a query set: compiles every query (all or nothing), then sends the
    /// rows they cover. Equal queries of all clients are maintained once.
    func subscribe(_ queryId: UInt32, _ queries: [String], requestId: UInt32, _ session: ClientSession, _ db: ModuleDatabase) {
        let start = ContinuousClock.now
        func fail(_ message: String) {
            send(.subscriptionError(requestId: requestId, queryId: queryId, error: message), to: session)
        }
        guard session.querySets[queryId] == nil else {
            return fail("query id \(queryId) is already subscribed; unsubscribe it first")
        }
        guard !queries.isEmpty else { return fail("a query set needs at least one query") }
        let compiled: [LiveQuery]
        let rows: [TableRowSet]
        do {
            let context = try queryContext(session.identity, isOwner: session.isOwner).get()
            (compiled, rows) = try db.store.read { tx throws(SQLError) in
                var compiled: [LiveQuery] = []
                for (i, q) in queries.enumerated() {
                    do throws(SQLError) { compiled.append(try LiveQuery.compile(q, in: tx, context: context)) } catch {
                        throw SQLError(error.code, (queries.count > 1 ? "query \(i + 1): " : "") + error.description)
                    }
                }
                return (compiled, try Self.rowSets(compiled, tx))
            }
        } catch {
            return fail(error.message)
        }
        session.querySets[queryId] = compiled.map { subscriptions.attach($0, to: session) }
        recordSubscriptionCount()
        send(.subscribeApplied(requestId: requestId, queryId: queryId, tables: rows, executionMicros: micros(since: start)), to: session)
    }

    /// Ends a query set and sends the rows it covered (which the client's cache lets go of).
    func unsubscribe(_ queryId: UInt32, requestId: UInt32, _ session: ClientSession, _ db: ModuleDatabase) {
        let start = ContinuousClock.now
        guard let shared = session.querySets.removeValue(forKey: queryId) else {
            send(.subscriptionError(requestId: requestId, queryId: queryId, error: "query id \(queryId) is not subscribed"), to: session)
            return
        }
        for s in shared { subscriptions.detach(s, from: session) }
        recordSubscriptionCount()
        let rows = (try? db.store.read { tx throws(SQLError) in try Self.rowSets(shared.map(\.query), tx) }) ?? []
        send(.unsubscribeApplied(requestId: requestId, queryId: queryId, tables: rows, executionMicros: micros(since: start)), to: session)
    }

    /// Forgets every query set of a client that went away.
    func dropSubscriptions(of session: ClientSession) {
        for shared in session.querySets.values.joined() { subscriptions.detach(shared, from: session) }
        session.querySets.removeAll()
        recordSubscriptionCount()
    }

    /// The current rows of `queries`, one set per table (a row in two queries is there twice,
    /// once per query, as clients count it).
    static func rowSets(_ queries: [LiveQuery], _ reader: some StoreReading) throws(SQLError) -> [TableRowSet] {
        var sets: [TableRowSet] = []
        for q in queries {
            let rows = try q.rows(in: reader)
            if let i = sets.firstIndex(where: { $0.tableName == q.tableName }) {
                sets[i].rows += rows
            } else {
                sets.append(TableRowSet(tableName: q.tableName, rows: rows))
            }
        }
        return sets
    }

    /// Updates the subscriptions gauges (worker thread).
    func recordSubscriptionCount() {
        metrics.subscriptions.record(subscriptions.subscriptionCount)
        metrics.liveQueries.record(subscriptions.queryCount)
    }
}
