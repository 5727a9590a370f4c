import StarlingNetClient
import StarlingProtocol
import StarlingTypes

/// Where a connection is in its life.
enum Phase: Sendable {
    /// The first connection is being opened.
    case connecting
    /// Open and identified.
    case connected
    /// Dropped; waiting to try again or trying.
    case reconnecting
    /// Closed for good.
    case closed
}

/// The state of a query set.
public enum SubscriptionState: String, Sendable, Hashable {
    /// Subscribe sent; the rows have not arrived yet.
    case pending
    /// The server applied the set; its rows are in the cache.
    case applied
    /// Unsubscribe sent.
    case unsubscribing
    /// Unsubscribed, refused by the server, or the client closed.
    case ended
}

/// One query set's bookkeeping (the app holds a ``Subscription`` handle to it).
struct QuerySet {
    let queries: [String]
    var state: SubscriptionState = .pending
    /// Resolved when the server first applies the set, or when it ends before that.
    let applied = Promise<Void>()
    /// Resolved when an `unsubscribe()` completed.
    let unsubscribed = Promise<Void>()
    var appliedListeners: [(id: UInt64, f: @Sendable (Bool) -> Void)] = []
    var errorListeners: [(id: UInt64, f: @Sendable (StarlingError) -> Void)] = []

    init(queries: [String]) { self.queries = queries }
}

/// A reducer call waiting for its TransactionUpdate.
struct PendingCall {
    let reducer: String
    let outcome: Promise<CallOutcome>
}

/// A one-off query waiting for its answer (resent after a reconnect).
struct PendingQuery {
    let sql: String
    let result: Promise<[QueryResult]>
}

/// What a Subscribe or Unsubscribe request was for.
struct SubscriptionRequest {
    enum Kind { case subscribe, unsubscribe }
    let kind: Kind
    let queryId: UInt32
}

/// A resynchronization after a reconnect: the cache before the drop, the sets still to be applied.
struct Resync {
    var before: [String: [[UInt8]: CachedRow]]
    var waiting: Set<UInt32> = []
    var applied: [UInt32] = []
    /// Sets unsubscribed while offline: not resubscribed; their `unsubscribe()` settles at the end.
    var dropped: [UInt32] = []
}

/// The open socket and which one it is (its generation), so events of an old socket are ignored.
struct OpenSocket {
    let socket: WebSocketConnection
    let generation: Int
}

/// Everything mutable about a connection; guarded by the connection's lock.
struct ConnectionState {
    var phase: Phase = .connecting
    var token: String?
    var identity: Identity?
    var connectionId: ConnectionId?
    var hasConnected = false
    var socket: OpenSocket?
    var generation = 0
    /// The connect (or reconnect attempt) waiting for IdentityToken on socket `generation`.
    var awaitingIdentity: (generation: Int, identified: Promise<Void>)?
    var receiveTask: Task<Void, Never>?
    var reconnectTask: Task<Void, Never>?
    var attempts = 0
    var nextRequestId: UInt32 = 1
    var nextQueryId: UInt32 = 1
    var nextListenerId: UInt64 = 1
    var pendingCalls: [UInt32: PendingCall] = [:]
    var pendingQueries: [UInt32: PendingQuery] = [:]
    var querySets: [UInt32: QuerySet] = [:]
    var subscriptionRequests: [UInt32: SubscriptionRequest] = [:]
    var resync: Resync?
    var cache: ClientCache
    var eventListeners: [(id: UInt64, f: @Sendable (ConnectionEvent) -> Void, finish: (@Sendable () -> Void)?)] = []

    init(schema: DatabaseSchema, token: String?) {
        cache = ClientCache(schema: schema)
        self.token = token
    }

    mutating func requestId() -> UInt32 {
        let id = nextRequestId
        nextRequestId = id == UInt32.max ? 1 : id + 1
        return id
    }

    mutating func listenerId() -> UInt64 {
        defer { nextListenerId += 1 }
        return nextListenerId
    }

    /// The callbacks that deliver `event` to the connection's event listeners.
    func emit(_ event: ConnectionEvent) -> [Effect] {
        eventListeners.map { l in { l.f(event) } }
    }

    /// Marks a set applied and returns what to run: its first `applied` wait and `onApplied` callbacks.
    mutating func markApplied(_ queryId: UInt32, reconnected: Bool) -> [Effect] {
        guard var set = querySets[queryId] else { return [] }
        set.state = .applied
        querySets[queryId] = set
        let promise = set.applied
        var effects: [Effect] = [{ promise.resolve(.success(())) }]
        effects += set.appliedListeners.map { l in { l.f(reconnected) } }
        return effects
    }

    /// Ends a set: a first `applied` wait fails with `error` (or `unsubscribed`), `unsubscribe()`
    /// callers get `unsubscribeError` (nil: success), and `onError` callbacks get `error` if `notify`.
    mutating func endSet(
        _ queryId: UInt32, error: StarlingError?, unsubscribeError: StarlingError? = nil, notify: Bool = true
    ) -> [Effect] {
        guard var set = querySets[queryId], set.state != .ended else { return [] }
        set.state = .ended
        let failure = error ?? StarlingError(.unsubscribed, "the query set \(set.queries) ended before the server applied it")
        let (applied, unsubscribed) = (set.applied, set.unsubscribed)
        var effects: [Effect] = [
            { applied.resolve(.failure(failure)) },
            { unsubscribed.resolve(unsubscribeError.map { .failure($0) } ?? .success(())) },
        ]
        if let error, notify { effects += set.errorListeners.map { l in { l.f(error) } } }
        let released = (set.appliedListeners, set.errorListeners)
        effects.append { withExtendedLifetime(released) {} }  // callbacks are released after the lock
        set.appliedListeners = []
        set.errorListeners = []
        querySets[queryId] = set
        return effects
    }

    /// Ends everything once the connection is closed for good: pending requests fail with
    /// `error`, query sets end, async streams finish, callbacks are dropped.
    mutating func shutDown(_ error: StarlingError) -> [Effect] {
        var effects: [Effect] = []
        for (_, q) in pendingQueries { effects.append { q.result.resolve(.failure(error)) } }
        for (_, c) in pendingCalls { effects.append { c.outcome.resolve(.failure(error)) } }
        pendingQueries = [:]
        pendingCalls = [:]
        subscriptionRequests = [:]
        for queryId in querySets.keys.sorted() { effects += endSet(queryId, error: error, notify: false) }
        resync = nil
        effects += cache.removeAllListeners()
        let released = eventListeners
        effects += released.compactMap(\.finish) + [{ withExtendedLifetime(released) {} }]
        eventListeners = []
        return effects
    }
}
