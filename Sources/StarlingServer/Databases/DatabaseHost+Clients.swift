import CoreMetrics
import Foundation
import NIOWebSocket
import StarlingDatabase
import StarlingModuleHost
import StarlingProtocol
import StarlingRuntime
import StarlingStore
import StarlingTypes

/// One connected WebSocket client as the database's worker sees it.
final class ClientSession {
    let identity: Identity
    let connectionId: ConnectionId
    let isOwner: Bool
    let outlet: ClientOutlet
    /// Query sets by query id: the tables each one covers.
    var querySets: [UInt32: [String]] = [:]
    /// How many query sets cover each table.
    var tableRefs: [String: Int] = [:]

    init(identity: Identity, connectionId: ConnectionId, isOwner: Bool, outlet: ClientOutlet) {
        self.identity = identity
        self.connectionId = connectionId
        self.isOwner = isOwner
        self.outlet = outlet
    }

    var format: WireFormat { outlet.format }
}

extension DatabaseHost {
    /// A new WebSocket connection: runs `client_connected` (a failure refuses the connection),
    /// then sends IdentityToken first.
    func connect(_ outlet: ClientOutlet, identity: Identity, token: String, connectionId: ConnectionId) {
        submit { [self] db in
            let result = db.clientConnected(identity, connectionId: connectionId)
            if let message = result.outcome.message {
                outlet.close(code: .policyViolation, reason: "connection refused by client_connected: \(message)")
                return
            }
            let session = ClientSession(
                identity: identity, connectionId: connectionId, isOwner: identity == db.info.owner, outlet: outlet)
            clients[connectionId] = session
            metrics.clients.record(clients.count)
            send(.identityToken(identity: identity, token: token, connectionId: connectionId), to: session)
            if result.delta != nil {
                broadcast(result, caller: identity, connection: connectionId, args: [], requestId: 0, callerSession: nil)
            }
        }
    }

    /// A connection ended: forgets the client and runs `client_disconnected`.
    func disconnect(_ connectionId: ConnectionId) {
        submit { [self] db in
            guard let session = clients.removeValue(forKey: connectionId) else { return }
            subscribers[connectionId] = nil
            metrics.clients.record(clients.count)
            recordSubscriptionCount()
            let result = db.clientDisconnected(session.identity, connectionId: connectionId)
            if result.delta != nil {
                broadcast(result, caller: session.identity, connection: connectionId, args: [], requestId: 0, callerSession: nil)
            }
        }
    }

    /// Messages one client sent in one read batch.
    func handle(_ messages: [ClientMessage], from connectionId: ConnectionId) {
        submit { [self] db in
            guard let session = clients[connectionId] else { return }
            for m in messages where !session.outlet.isClosing { handle(m, from: session, db) }
        }
    }

    private func handle(_ message: ClientMessage, from session: ClientSession, _ db: ModuleDatabase) {
        switch message {
        case .callReducer(let requestId, let reducer, let args):
            call(reducer, args: args, requestId: requestId, from: session, db)
        case .subscribe(let requestId, let queryId, let queries):
            subscribe(queryId, queries, requestId: requestId, session, db)
        case .unsubscribe(let requestId, let queryId):
            unsubscribe(queryId, requestId: requestId, session, db)
        case .oneOffQuery(let requestId, let query):
            let start = ContinuousClock.now
            let (error, tables) = oneOffQuery(query, session, db)
            send(
                .oneOffQueryResponse(requestId: requestId, error: error, tables: tables, executionMicros: micros(since: start)),
                to: session)
        }
    }

    private func call(_ reducer: String, args: ReducerArgs, requestId: UInt32, from session: ClientSession, _ db: ModuleDatabase) {
        var bytes: [UInt8]
        switch args {
        case .bsatn(let b): bytes = b
        case .json(let json):
            guard let item = db.schema.reducers.first(where: { $0.name == reducer }) else {
                bytes = []
                break
            }
            switch Self.encodeArgs(json, for: item) {
            case .success(let b): bytes = b
            case .failure(let e):
                let failed = CallResult(reducer: reducer, outcome: .failed(e.message), timestamp: .now, duration: .zero)
                broadcast(failed, caller: session.identity, connection: session.connectionId, args: [], requestId: requestId, callerSession: session)
                return
            }
        }
        let result = db.call(reducer, args: bytes, caller: session.identity, connectionId: session.connectionId)
        metrics.recordCall(result)
        broadcast(result, caller: session.identity, connection: session.connectionId, args: bytes, requestId: requestId, callerSession: session)
    }

    // MARK: Subscriptions (whole tables until the query engine plans them)

    private func subscribe(_ queryId: UInt32, _ queries: [String], requestId: UInt32, _ session: ClientSession, _ db: ModuleDatabase) {
        let start = ContinuousClock.now
        guard session.querySets[queryId] == nil else {
            send(.subscriptionError(requestId: requestId, queryId: queryId, error: "query id \(queryId) is already subscribed; unsubscribe it first"), to: session)
            return
        }
        var tables: [String] = []
        for q in queries {
            switch SubscriptionQuery.table(of: q, visibleTo: session.isOwner, in: db.schema) {
            case .success(let t): if !tables.contains(t) { tables.append(t) }
            case .failure(let e):
                send(.subscriptionError(requestId: requestId, queryId: queryId, error: e.message), to: session)
                return
            }
        }
        let rows = Self.allRows(of: tables, db)
        session.querySets[queryId] = tables
        for t in tables { session.tableRefs[t, default: 0] += 1 }
        subscribers[session.connectionId] = session
        recordSubscriptionCount()
        send(.subscribeApplied(requestId: requestId, queryId: queryId, tables: rows, executionMicros: micros(since: start)), to: session)
    }

    private func unsubscribe(_ queryId: UInt32, requestId: UInt32, _ session: ClientSession, _ db: ModuleDatabase) {
        let start = ContinuousClock.now
        guard let tables = session.querySets.removeValue(forKey: queryId) else {
            send(.subscriptionError(requestId: requestId, queryId: queryId, error: "query id \(queryId) is not subscribed"), to: session)
            return
        }
        for t in tables {
            session.tableRefs[t, default: 1] -= 1
            if session.tableRefs[t] == 0 { session.tableRefs[t] = nil }
        }
        if session.querySets.isEmpty { subscribers[session.connectionId] = nil }
        let rows = Self.allRows(of: tables, db)
        recordSubscriptionCount()
        send(.unsubscribeApplied(requestId: requestId, queryId: queryId, tables: rows, executionMicros: micros(since: start)), to: session)
    }

    // MARK: Sending

    /// Queues one message for one client, in its format.
    func send(_ message: ServerMessage, to session: ClientSession) {
        switch session.format {
        case .bsatn: outbox.send(message.bsatn, to: session.outlet)
        case .json: outbox.send(message.json(render).utf8, to: session.outlet)
        }
    }

    /// Tells every client what a transaction did to the tables it subscribes to (at most one
    /// message each), and always tells the caller its reducer's outcome.
    func broadcast(
        _ result: CallResult, caller: Identity, connection: ConnectionId, args: [UInt8], requestId: UInt32, callerSession: ClientSession?
    ) {
        let status: UpdateStatus = result.outcome.message.map { .failed($0) } ?? .committed
        let tables = result.delta?.tables ?? []
        var update = TransactionUpdate(
            status: status, timestamp: result.timestamp, callerIdentity: caller, callerConnectionId: connection,
            reducerCall: ReducerCallInfo(reducerName: result.reducer, args: args, requestId: 0), tables: [],
            executionMicros: result.duration.wholeMicroseconds)
        var fragments = FragmentCache(tables: tables, render: render)
        var audience = tables.isEmpty ? [] : Array(subscribers.values)
        if let callerSession, subscribers[callerSession.connectionId] == nil || tables.isEmpty { audience.append(callerSession) }
        for session in audience {
            let isCaller = session === callerSession
            let seen = tables.indices.filter { session.tableRefs[tables[$0].tableName] != nil }
            guard isCaller || !seen.isEmpty else { continue }
            update.reducerCall.requestId = isCaller ? requestId : 0
            switch session.format {
            case .bsatn:
                var w = BSATNWriter(capacity: 128)
                ServerMessage.writeTransactionHeader(update, to: &w)
                w.writeLength(seen.count)
                for i in seen { w.writeRaw(fragments.bsatn(i)) }
                w.write(update.executionMicros)
                outbox.send(w.bytes, to: session.outlet)
            case .json:
                let json = ServerMessage.transactionJSON(update, tables: seen.map { fragments.json($0) }, render: render)
                outbox.send(json.utf8, to: session.outlet)
            }
        }
    }

    func micros(since start: ContinuousClock.Instant) -> UInt64 { (ContinuousClock.now - start).wholeMicroseconds }

    /// Every row of each of `tables`, for SubscribeApplied and UnsubscribeApplied.
    static func allRows(of tables: [String], _ db: ModuleDatabase) -> [TableRowSet] {
        tables.map { t in
            TableRowSet(tableName: t, rows: (try? db.store.read { tx throws(StoreError) in try tx.rows(try tx.tableId(t)) }) ?? [])
        }
    }

    /// Updates the subscriptions gauge (worker thread).
    func recordSubscriptionCount() {
        metrics.subscriptions.record(subscribers.values.reduce(0) { $0 + $1.querySets.count })
    }
}

/// Each table update of one transaction, encoded once per format however many clients see it.
struct FragmentCache {
    let tables: [TableDelta]
    let render: JSONRendering
    private var bsatnCache: [Int: [UInt8]] = [:]
    private var jsonCache: [Int: JSONValue] = [:]

    init(tables: [TableDelta], render: JSONRendering) {
        self.tables = tables
        self.render = render
    }

    private func update(_ i: Int) -> TableUpdate {
        TableUpdate(tableName: tables[i].tableName, inserts: tables[i].inserts.arrays, deletes: tables[i].deletes.arrays)
    }

    mutating func bsatn(_ i: Int) -> [UInt8] {
        if let b = bsatnCache[i] { return b }
        var w = BSATNWriter(capacity: 64)
        update(i).encode(to: &w)
        let b = w.bytes
        bsatnCache[i] = b
        return b
    }

    mutating func json(_ i: Int) -> JSONValue {
        if let j = jsonCache[i] { return j }
        let j = update(i).json(render)
        jsonCache[i] = j
        return j
    }
}

