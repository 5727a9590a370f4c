import NIOCore
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
    /// The client asked for updates of durable transactions only (`?confirmed=true`).
    let confirmed: Bool
    /// Messages held until their transaction is durable (confirmed reads), oldest first.
    var held: [(offset: UInt64, bytes: ByteBuffer)] = []
    /// Query sets by query id: the live queries of each (worker thread).
    var querySets: [UInt32: [SharedQuery]] = [:]

    init(identity: Identity, connectionId: ConnectionId, isOwner: Bool, outlet: ClientOutlet, confirmed: Bool) {
        self.identity = identity
        self.connectionId = connectionId
        self.isOwner = isOwner
        self.outlet = outlet
        self.confirmed = confirmed
    }

    var format: WireFormat { outlet.format }
}

extension DatabaseHost {
    /// A new WebSocket connection: runs `client_connected` (a failure refuses the connection),
    /// then sends IdentityToken first.
    func connect(_ outlet: ClientOutlet, identity: Identity, token: String, connectionId: ConnectionId, confirmed: Bool) {
        submit { [self] db in
            let result = db.clientConnected(identity, connectionId: connectionId)
            if let message = result.outcome.message {
                outlet.close(code: .policyViolation, reason: "connection refused by client_connected: \(message)")
                return
            }
            let session = ClientSession(
                identity: identity, connectionId: connectionId, isOwner: identity == db.info.owner, outlet: outlet,
                confirmed: confirmed)
            clients[connectionId] = session
            metrics.clients.record(clients.count)
            send(.identityToken(identity: identity, token: token, connectionId: connectionId), to: session)
            if result.delta != nil {
                broadcast(result, db, caller: identity, connection: connectionId, args: [], requestId: 0, callerSession: nil)
            }
        }
    }

    /// A connection ended: forgets the client and runs `client_disconnected`.
    func disconnect(_ connectionId: ConnectionId) {
        submit { [self] db in
            guard let session = clients.removeValue(forKey: connectionId) else { return }
            dropSubscriptions(of: session)
            confirmedHeld[connectionId] = nil
            metrics.clients.record(clients.count)
            let result = db.clientDisconnected(session.identity, connectionId: connectionId)
            if result.delta != nil {
                broadcast(result, db, caller: session.identity, connection: connectionId, args: [], requestId: 0, callerSession: nil)
            }
        }
    }

    /// Messages one client sent in one read batch.
    func handle(_ messages: [ClientMessage], from connectionId: ConnectionId) {
        // Unowned: the host outlives its worker's jobs (``stop(reason:)`` waits for them), and a
        // strong capture would count a reference shared by every event loop and the worker.
        submit { [unowned(unsafe) self] db in
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
                broadcast(failed, db, caller: session.identity, connection: session.connectionId, args: [], requestId: requestId, callerSession: session)
                return
            }
        }
        let result = db.call(reducer, args: bytes, caller: session.identity, connectionId: session.connectionId)
        metrics.recordCall(result)
        broadcast(result, db, caller: session.identity, connection: session.connectionId, args: bytes, requestId: requestId, callerSession: session)
    }
}
