public import StarlingTypes
import StarlingNetClient
import StarlingProtocol

extension StarlingConnection {
    // MARK: - Subscriptions

    /// Subscribes to a query set (`SELECT * FROM t [WHERE ...]`, joins: see docs/sql.md) and
    /// returns once the server applied it: its rows are in the cache and their `onInsert`
    /// callbacks ran. Throws ``StarlingError/Code/subscriptionFailed`` with the server's reason
    /// if the server refuses the set (a set is compiled all or nothing).
    ///
    /// While the client is reconnecting, the set is sent once the connection is back.
    ///
    /// - Parameters:
    ///   - onApplied: Called each time the server applies the set: `false` the first time, `true`
    ///     after every reconnect (once the cache was reconciled).
    ///   - onError: Called if the server drops the set later (e.g. after a schema change).
    public func subscribe(
        _ queries: [String], onApplied: (@Sendable (Bool) -> Void)? = nil, onError: (@Sendable (StarlingError) -> Void)? = nil
    ) async throws(StarlingError) -> Subscription {
        guard !queries.isEmpty else { throw StarlingError(.invalidArgument, "subscribe needs at least one query") }
        let (queryId, applied, request) = try state.withLock { s throws(StarlingError) in
            guard s.phase != .closed else { throw StarlingError(.closed, "the connection is closed") }
            let queryId = s.nextQueryId
            s.nextQueryId = queryId == UInt32.max ? 1 : queryId + 1
            var set = QuerySet(queries: queries)
            if let onApplied { set.appliedListeners.append((s.listenerId(), onApplied)) }
            if let onError { set.errorListeners.append((s.listenerId(), onError)) }
            s.querySets[queryId] = set
            return (queryId, set.applied, Self.subscribeRequest(&s, queryId))
        }
        let handle = Subscription(connection: self, queryId: queryId, queries: queries)
        if let request { await send(request.message, on: request.socket) }
        try await applied.value()
        return handle
    }

    /// Registers a Subscribe of set `queryId` when connected: the message and the socket to send it on.
    static func subscribeRequest(_ s: inout ConnectionState, _ queryId: UInt32) -> (message: ClientMessage, socket: OpenSocket)? {
        guard s.phase == .connected, let socket = s.socket, let set = s.querySets[queryId] else { return nil }
        let requestId = s.requestId()
        s.subscriptionRequests[requestId] = SubscriptionRequest(kind: .subscribe, queryId: queryId)
        s.resync?.waiting.insert(queryId)
        return (.subscribe(requestId: requestId, queryId: queryId, queries: set.queries), socket)
    }

    /// Drops set `queryId`; returns once the server confirmed and the rows only this set held
    /// left the cache (their `onDelete` callbacks ran). Idempotent.
    func unsubscribe(_ queryId: UInt32) async throws(StarlingError) {
        let (done, request, effects) = state.withLock { s -> (Promise<Void>?, (ClientMessage, OpenSocket)?, [Effect]) in
            guard var set = s.querySets[queryId], set.state != .ended else { return (nil, nil, []) }
            if set.state == .unsubscribing { return (set.unsubscribed, nil, []) }
            set.state = .unsubscribing
            s.querySets[queryId] = set
            guard s.phase == .connected, let socket = s.socket else {
                // Offline: the set is not resubscribed; the reconnect's reconciliation removes its rows.
                return (set.unsubscribed, nil, s.phase == .closed ? s.endSet(queryId, error: nil) : [])
            }
            let requestId = s.requestId()
            s.subscriptionRequests[requestId] = SubscriptionRequest(kind: .unsubscribe, queryId: queryId)
            return (set.unsubscribed, (.unsubscribe(requestId: requestId, queryId: queryId), socket), [])
        }
        run(effects)
        if let request { await send(request.0, on: request.1) }
        try await done?.value()
    }

    /// The state of set `queryId`.
    func subscriptionState(_ queryId: UInt32) -> SubscriptionState {
        state.withLock { $0.querySets[queryId]?.state ?? .ended }
    }

    /// Adds an `onApplied` or `onError` callback to set `queryId`.
    func addSetListener(
        _ queryId: UInt32, applied: (@Sendable (Bool) -> Void)?, error: (@Sendable (StarlingError) -> Void)?
    ) -> CallbackHandle {
        let id = state.withLock { s -> UInt64 in
            let id = s.listenerId()
            guard var set = s.querySets[queryId], set.state != .ended else { return id }
            if let applied { set.appliedListeners.append((id, applied)) }
            if let error { set.errorListeners.append((id, error)) }
            s.querySets[queryId] = set
            return id
        }
        return CallbackHandle { [weak self] in
            // Returned so that the callbacks are released after the lock.
            _ = self?.state.withLock { s in
                let removed = (s.querySets[queryId]?.appliedListeners.filter { $0.id == id }, s.querySets[queryId]?.errorListeners.filter { $0.id == id })
                s.querySets[queryId]?.appliedListeners.removeAll { $0.id == id }
                s.querySets[queryId]?.errorListeners.removeAll { $0.id == id }
                return removed
            }
        }
    }

    /// Forgets an ended set once its handle is gone.
    func forgetSet(_ queryId: UInt32) {
        state.withLock { s in
            if s.querySets[queryId]?.state == .ended { s.querySets[queryId] = nil }
        }
    }

    // MARK: - Reducers

    /// Calls a reducer with one value per parameter and returns once its transaction committed
    /// (its changes are in the cache and their callbacks ran).
    ///
    /// Throws ``StarlingError/Code/reducerFailed`` with the reducer's message in
    /// ``StarlingError/reason``; ``StarlingError/Code/unknownReducer`` or
    /// ``StarlingError/Code/invalidArguments`` before sending anything;
    /// ``StarlingError/Code/notConnected`` while reconnecting (calls are not queued); a
    /// connection error if the connection ended before the answer (the reducer may or may not have run).
    @discardableResult
    public func call(_ reducer: String, _ args: [AlgebraicValue] = []) async throws(StarlingError) -> CallOutcome {
        let info = try schema.reducer(reducer)
        guard args.count == info.params.count else {
            let names = info.params.map(\.name).joined(separator: ", ")
            throw StarlingError(
                .invalidArguments, "reducer `\(reducer)` takes \(info.params.count) argument(s) (\(names)), got \(args.count)")
        }
        for (a, p) in zip(args, info.params) where !a.conforms(to: p.type) {
            throw StarlingError(.invalidArguments, "argument `\(p.name)` of reducer `\(reducer)` is not a \(p.type): \(a)")
        }
        return try await call(reducer, bsatnArgs: AlgebraicValue.product(args).bsatn)
    }

    /// Calls a reducer with its arguments already encoded: the BSATN of the product of its
    /// parameters (what generated reducer functions pass). See ``call(_:_:)``.
    @discardableResult
    public func call(_ reducer: String, bsatnArgs: [UInt8]) async throws(StarlingError) -> CallOutcome {
        let info = try schema.reducer(reducer)
        let args: ReducerArgs
        do throws(BSATNError) {
            let value = try AlgebraicValue.decode(.product(info.argsType), from: bsatnArgs)
            guard case .product(let xs) = value else { throw BSATNError(.typeMismatch, "not a product", offset: 0) }
            args = options.wireFormat == .bsatn ? .bsatn(bsatnArgs) : .json(.array(zip(xs, info.params).map { $0.json($1.type) }))
        } catch {
            throw StarlingError(
                .invalidArguments,
                "the arguments do not fit the parameters of reducer `\(reducer)` \(AlgebraicType.product(info.argsType)): \(error.message)")
        }
        let outcome = Promise<CallOutcome>()
        let request = try state.withLock { s throws(StarlingError) -> (ClientMessage, OpenSocket) in
            guard s.phase != .closed else { throw StarlingError(.closed, "cannot call `\(reducer)`: the connection is closed") }
            guard s.phase == .connected, let socket = s.socket else {
                throw StarlingError(.notConnected, "cannot call `\(reducer)`: the client is reconnecting")
            }
            let requestId = s.requestId()
            s.pendingCalls[requestId] = PendingCall(reducer: reducer, outcome: outcome)
            return (.callReducer(requestId: requestId, reducer: reducer, args: args), socket)
        }
        if !(await send(request.0, on: request.1)) {
            guard case .callReducer(let id, _, _) = request.0 else { return try await outcome.value() }
            let call = state.withLock { $0.pendingCalls.removeValue(forKey: id) }
            call?.outcome.resolve(.failure(StarlingError(.notConnected, "cannot call `\(reducer)`: the connection is closing")))
        }
        return try await outcome.value()
    }

    // MARK: - One-off queries

    /// Runs a read-only SQL query once (not subscribed, not cached) and returns one result per
    /// statement. Throws ``StarlingError/Code/queryFailed`` with the server's message. A query
    /// pending when the connection drops is sent again after the reconnect.
    public func oneOffQuery(_ sql: String) async throws(StarlingError) -> [QueryResult] {
        let result = Promise<[QueryResult]>()
        let request = try state.withLock { s throws(StarlingError) -> (ClientMessage, OpenSocket)? in
            guard s.phase != .closed else { throw StarlingError(.closed, "the connection is closed") }
            let requestId = s.requestId()
            s.pendingQueries[requestId] = PendingQuery(sql: sql, result: result)
            guard s.phase == .connected, let socket = s.socket else { return nil }
            return (.oneOffQuery(requestId: requestId, query: sql), socket)
        }
        if let request { await send(request.0, on: request.1) }
        return try await result.value()
    }

    // MARK: - Sending

    /// Sends one message on `socket` in the connection's wire format; false if the socket is
    /// closing (the reconnect's resynchronization sends what still matters).
    @discardableResult
    func send(_ message: ClientMessage, on socket: OpenSocket) async -> Bool {
        do {
            switch options.wireFormat {
            case .bsatn: try await socket.socket.send(binary: message.bsatn)
            case .json: try await socket.socket.send(text: message.json.text)
            }
            return true
        } catch {
            return false
        }
    }
}

/// A subscribed query set, returned by ``StarlingConnection/subscribe(_:onApplied:onError:)``.
///
/// The set stays subscribed until ``unsubscribe()`` (dropping the handle does not unsubscribe),
/// and is resubscribed after every reconnect.
public final class Subscription: Sendable {
    /// The query id the client chose for this set.
    public let queryId: UInt32
    /// The set's SQL queries.
    public let queries: [String]
    let connection: StarlingConnection

    init(connection: StarlingConnection, queryId: UInt32, queries: [String]) {
        self.connection = connection
        self.queryId = queryId
        self.queries = queries
    }

    deinit {
        // Not inline: the handle may be released while the connection's lock is held (by a
        // callback that captured it being dropped), and the lock is not reentrant.
        let (connection, queryId) = (connection, queryId)
        Task { connection.forgetSet(queryId) }
    }

    /// Where the set is: pending, applied, unsubscribing or ended.
    public var state: SubscriptionState { connection.subscriptionState(queryId) }

    /// Drops the set; returns once the server confirmed and the rows only this set held left the
    /// cache (their `onDelete` callbacks ran). Idempotent. Offline, the set is simply not
    /// resubscribed and its rows leave when the client reconnects (or stay if it never does).
    public func unsubscribe() async throws(StarlingError) {
        try await connection.unsubscribe(queryId)
    }

    /// Calls `f(reconnected)` each time the server applies the set again (after reconnects).
    @discardableResult
    public func onApplied(_ f: @escaping @Sendable (_ reconnected: Bool) -> Void) -> CallbackHandle {
        connection.addSetListener(queryId, applied: f, error: nil)
    }

    /// Calls `f(error)` if the server drops the set (e.g. its queries no longer compile after a
    /// schema change).
    @discardableResult
    public func onError(_ f: @escaping @Sendable (StarlingError) -> Void) -> CallbackHandle {
        connection.addSetListener(queryId, applied: nil, error: f)
    }
}
