import StarlingProtocol
import StarlingTypes

/// How each server message changes the connection's state. Runs under the lock; returns the
/// callbacks to run afterwards (in order) and the messages to send.
extension StarlingConnection {
    func process(_ message: ServerMessage, _ s: inout ConnectionState) -> ([Effect], [ClientMessage]) {
        switch message {
        case .identityToken(let identity, let token, let connectionId):
            return identified(identity, token, connectionId, &s)
        case .subscribeApplied(let requestId, let queryId, let tables, _):
            return (subscribeApplied(requestId, queryId, tables, &s), [])
        case .unsubscribeApplied(let requestId, let queryId, let tables, _):
            return (unsubscribeApplied(requestId, queryId, tables, &s), [])
        case .subscriptionError(let requestId, let queryId, let error):
            return (subscriptionError(requestId, queryId, error, &s), [])
        case .transactionUpdate(let update):
            return (transactionUpdate(update, &s), [])
        case .oneOffQueryResponse(let requestId, let error, let tables, _):
            return (oneOffResponse(requestId, error, tables, &s), [])
        }
    }

    // MARK: - Identity and resynchronization

    private func identified(_ identity: Identity, _ token: String, _ connectionId: ConnectionId, _ s: inout ConnectionState) -> (
        [Effect], [ClientMessage]
    ) {
        guard let waiting = s.awaitingIdentity, waiting.generation == s.socket?.generation else {
            return (s.emit(.error(StarlingError(.protocolError, "an unexpected IdentityToken (only a connection's first message is one)"))), [])
        }
        s.awaitingIdentity = nil
        let reconnected = s.hasConnected
        s.hasConnected = true
        s.identity = identity
        if !token.isEmpty { s.token = token }
        s.connectionId = connectionId
        s.phase = .connected
        s.attempts = 0
        var sends: [ClientMessage] = []
        var effects: [Effect] = []
        if reconnected { (effects, sends) = beginResync(&s) }
        let info = ConnectInfo(identity: identity, token: s.token ?? token, connectionId: connectionId, reconnected: reconnected)
        return ([{ waiting.identified.resolve(.success(())) }] + s.emit(.connected(info)) + effects, sends)
    }

    /// After a reconnect: resubscribes every live set under its query id, rebuilds the cache
    /// silently, resends pending one-off queries.
    private func beginResync(_ s: inout ConnectionState) -> ([Effect], [ClientMessage]) {
        var resync = s.resync ?? Resync(before: s.cache.snapshot())
        resync.waiting = []
        resync.applied = []
        s.cache.clear()
        var sends: [ClientMessage] = []
        for queryId in s.querySets.keys.sorted() {
            guard let set = s.querySets[queryId] else { continue }
            switch set.state {
            case .ended: continue
            case .unsubscribing: resync.dropped.append(queryId)
            case .pending, .applied:
                let requestId = s.requestId()
                s.subscriptionRequests[requestId] = SubscriptionRequest(kind: .subscribe, queryId: queryId)
                resync.waiting.insert(queryId)
                sends.append(.subscribe(requestId: requestId, queryId: queryId, queries: set.queries))
            }
        }
        for (requestId, q) in s.pendingQueries.sorted(by: { $0.key < $1.key }) {
            sends.append(.oneOffQuery(requestId: requestId, query: q.sql))
        }
        s.resync = resync
        return (maybeFinishResync(&s), sends)
    }

    /// Once every resubscribed set is applied: reconciles the cache with the rows before the
    /// drop (callbacks with `.reconnect`), settles offline unsubscribes, runs `onApplied(true)`.
    private func maybeFinishResync(_ s: inout ConnectionState) -> [Effect] {
        guard let r = s.resync, r.waiting.isEmpty else { return [] }
        s.resync = nil
        var effects = s.cache.reconcile(r.before, context: EventContext(kind: .reconnect))
        for queryId in r.dropped { effects += s.endSet(queryId, error: nil) }
        for queryId in r.applied where s.querySets[queryId]?.state == .applied {
            effects += s.markApplied(queryId, reconnected: true)
        }
        return effects
    }

    // MARK: - Subscriptions

    private func apply(_ tables: [TableRowSet], inserting: Bool, _ context: EventContext, _ s: inout ConnectionState) -> [Effect] {
        var effects: [Effect] = []
        let silent = s.resync != nil
        for t in tables {
            do {
                effects += try s.cache.apply(
                    table: t.tableName, inserts: inserting ? t.rows : [], deletes: inserting ? [] : t.rows, context: context, silent: silent)
            } catch {
                effects += s.emit(.error(error))
            }
        }
        return effects
    }

    private func subscribeApplied(_ requestId: UInt32, _ queryId: UInt32, _ tables: [TableRowSet], _ s: inout ConnectionState) -> [Effect] {
        s.subscriptionRequests[requestId] = nil
        var effects = apply(tables, inserting: true, EventContext(kind: .subscribeApplied, queryId: queryId), &s)
        guard let set = s.querySets[queryId], set.state != .ended else { return effects }
        if s.resync?.waiting.remove(queryId) != nil {
            if set.state == .pending { s.querySets[queryId]?.state = .applied }
            s.resync?.applied.append(queryId)
            return effects + maybeFinishResync(&s)
        }
        switch set.state {
        case .pending: effects += s.markApplied(queryId, reconnected: false)
        case .unsubscribing: effects.append { set.applied.resolve(.success(())) }  // unsubscribed before it was applied
        case .applied, .ended: break
        }
        return effects
    }

    private func unsubscribeApplied(_ requestId: UInt32, _ queryId: UInt32, _ tables: [TableRowSet], _ s: inout ConnectionState) -> [Effect] {
        s.subscriptionRequests[requestId] = nil
        let effects = apply(tables, inserting: false, EventContext(kind: .unsubscribeApplied, queryId: queryId), &s)
        return effects + s.endSet(queryId, error: nil)
    }

    private func subscriptionError(_ requestId: UInt32?, _ queryId: UInt32?, _ text: String, _ s: inout ConnectionState) -> [Effect] {
        let request = requestId.flatMap { s.subscriptionRequests.removeValue(forKey: $0) }
        guard let queryId = request?.queryId ?? queryId, let set = s.querySets[queryId], set.state != .ended else {
            return s.emit(.error(StarlingError(.subscriptionFailed, "subscription error: \(text)", reason: text)))
        }
        if request?.kind == .unsubscribe {
            let error = StarlingError(.subscriptionFailed, "unsubscribing \(set.queries) failed: \(text)", reason: text)
            return s.endSet(queryId, error: nil, unsubscribeError: error)
        }
        let error = StarlingError(.subscriptionFailed, "the server refused the subscription \(set.queries): \(text)", reason: text)
        var effects = s.endSet(queryId, error: error)
        // A set refused after it was applied (on a resubscribe) has nobody waiting for it.
        if set.applied.isResolved && set.errorListeners.isEmpty { effects += s.emit(.error(error)) }
        if s.resync?.waiting.remove(queryId) != nil { effects += maybeFinishResync(&s) }
        return effects
    }

    // MARK: - Transactions

    private func transactionUpdate(_ u: TransactionUpdate, _ s: inout ConnectionState) -> [Effect] {
        let call = u.reducerCall.requestId == 0 ? nil : s.pendingCalls.removeValue(forKey: u.reducerCall.requestId)
        let argsType = (try? s.cache.schema.reducer(u.reducerCall.reducerName))?.argsType
        var args: [AlgebraicValue]?
        if let argsType, case .product(let xs)? = try? AlgebraicValue.decode(.product(argsType), from: u.reducerCall.args) { args = xs }
        let status: TransactionStatus
        switch u.status {
        case .committed: status = .committed
        case .failed(let m): status = .failed(m)
        }
        let info = TransactionInfo(
            reducer: u.reducerCall.reducerName, args: args, argsBSATN: u.reducerCall.args, status: status, timestamp: u.timestamp,
            callerIdentity: u.callerIdentity, callerConnectionId: u.callerConnectionId, requestId: u.reducerCall.requestId,
            isOwnCall: call != nil, executionMicros: u.executionMicros)
        let context = EventContext(kind: .transaction, transaction: info)
        var effects: [Effect] = []
        let silent = s.resync != nil
        for t in u.tables {
            do {
                effects += try s.cache.apply(table: t.tableName, inserts: t.inserts, deletes: t.deletes, context: context, silent: silent)
            } catch {
                effects += s.emit(.error(error))
            }
        }
        effects += s.emit(.transaction(info))
        guard let call else { return effects }
        switch status {
        case .committed:
            let outcome = CallOutcome(reducer: call.reducer, timestamp: u.timestamp, executionMicros: u.executionMicros, transaction: info)
            effects.append { call.outcome.resolve(.success(outcome)) }
        case .failed(let message):
            let error = StarlingError(.reducerFailed, "reducer `\(call.reducer)` failed: \(message)", reason: message)
            effects.append { call.outcome.resolve(.failure(error)) }
        }
        return effects
    }

    // MARK: - One-off queries

    private func oneOffResponse(_ requestId: UInt32, _ error: String?, _ tables: [OneOffTable], _ s: inout ConnectionState) -> [Effect] {
        guard let q = s.pendingQueries.removeValue(forKey: requestId) else { return [] }
        if let error {
            let failure = StarlingError(.queryFailed, "query failed: \(error)", reason: error)
            return [{ q.result.resolve(.failure(failure)) }]
        }
        var results: [QueryResult] = []
        for t in tables {
            let names = t.schema.map(\.name)
            var rows: [DynamicRow] = []
            for bytes in t.rows {
                guard case .product(let xs)? = try? AlgebraicValue.decode(.product(t.rowType), from: bytes) else {
                    let failure = StarlingError(.protocolError, "a row of the result of `\(q.sql)` does not match its columns")
                    return [{ q.result.resolve(.failure(failure)) }]
                }
                rows.append(DynamicRow(columnNames: names, values: xs))
            }
            let columns = t.schema.map { ColumnInfo(name: $0.name, type: $0.type) }
            results.append(QueryResult(tableName: t.tableName, columns: columns, rows: rows))
        }
        let done = results
        return [{ q.result.resolve(.success(done)) }]
    }
}
