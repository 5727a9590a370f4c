public import StarlingTypes

/// Why a row callback ran.
public enum EventKind: String, Sendable, Hashable {
    /// A query set was applied: its initial rows arrived.
    case subscribeApplied
    /// A query set was dropped: its rows left (those no other query still holds).
    case unsubscribeApplied
    /// A transaction changed rows of the client's queries.
    case transaction
    /// The client reconnected and reconciled its cache with the server's current rows.
    case reconnect
}

/// What caused a row callback.
public struct EventContext: Sendable {
    /// The kind of event.
    public var kind: EventKind
    /// The transaction, for ``EventKind/transaction`` events.
    public var transaction: TransactionInfo?
    /// The query set, for ``EventKind/subscribeApplied`` and ``EventKind/unsubscribeApplied`` events.
    public var queryId: UInt32?

    /// Creates a context.
    public init(kind: EventKind, transaction: TransactionInfo? = nil, queryId: UInt32? = nil) {
        self.kind = kind
        self.transaction = transaction
        self.queryId = queryId
    }
}

/// Whether a transaction committed, or why its reducer failed.
public enum TransactionStatus: Sendable, Hashable {
    /// The transaction committed.
    case committed
    /// The reducer failed with this message; nothing it did remains.
    case failed(String)
}

/// A transaction as this client saw it: its own reducer calls and other clients' calls that
/// changed rows of its queries.
public struct TransactionInfo: Sendable {
    /// The reducer's name (`__sql__` for SQL DML; lifecycle reducers by name).
    public var reducer: String
    /// The arguments, decoded with the reducer's parameter types (nil if the schema does not know them).
    public var args: [AlgebraicValue]?
    /// The arguments as the server sent them (BSATN of the parameters' product).
    public var argsBSATN: [UInt8]
    /// Committed, or failed with the reducer's message.
    public var status: TransactionStatus
    /// When the transaction ran.
    public var timestamp: Timestamp
    /// Who called the reducer.
    public var callerIdentity: Identity
    /// The caller's connection.
    public var callerConnectionId: ConnectionId
    /// This client's request id for its own calls; 0 for other clients' calls.
    public var requestId: UInt32
    /// Whether this client made the call on this connection.
    public var isOwnCall: Bool
    /// How long the reducer ran on the server, in microseconds.
    public var executionMicros: UInt64
}

/// The outcome of a committed reducer call. Failures throw ``StarlingError`` with
/// ``StarlingError/Code/reducerFailed`` instead.
public struct CallOutcome: Sendable {
    /// The reducer's name.
    public var reducer: String
    /// When the transaction committed.
    public var timestamp: Timestamp
    /// How long the reducer ran on the server, in microseconds.
    public var executionMicros: UInt64
    /// The whole transaction (its rows are already in the cache when the call returns).
    public var transaction: TransactionInfo
}

/// One change of a table's cached rows, as delivered by ``Table/changes()``.
public enum RowChange<Row: Sendable>: Sendable {
    /// A row entered the cache.
    case insert(Row, EventContext)
    /// A row left the cache.
    case delete(Row, EventContext)
    /// A row was replaced by one with the same primary key in one message.
    case update(old: Row, new: Row, EventContext)
}

/// What the client learns when a connection opens.
public struct ConnectInfo: Sendable {
    /// The client's identity (the same on every reconnect with the same token).
    public var identity: Identity
    /// The token; persist it to come back as the same identity.
    public var token: String
    /// This connection's id (new on every reconnect).
    public var connectionId: ConnectionId
    /// Whether this is a reconnection (the cache was reconciled afterwards).
    public var reconnected: Bool
}

/// Client-level events, as delivered by ``StarlingConnection/events()``.
public enum ConnectionEvent: Sendable {
    /// A connection opened (the first one or a reconnection).
    case connected(ConnectInfo)
    /// An open connection dropped; `willReconnect` says whether the client tries again.
    case disconnected(StarlingError, willReconnect: Bool)
    /// A TransactionUpdate arrived (after the cache changed).
    case transaction(TransactionInfo)
    /// An error that belongs to no request: unreadable messages, refused query sets without a
    /// waiting caller, generated bindings that do not match the schema, giving up reconnecting.
    case error(StarlingError)
}

/// A one-off query's result: one per statement.
public struct QueryResult: Sendable {
    /// The table (or the query's source) the rows come from.
    public var tableName: String
    /// The result's columns.
    public var columns: [ColumnInfo]
    /// The rows.
    public var rows: [DynamicRow]
}

/// Removes a callback registered with `onInsert`, `onDelete`, `onUpdate`, `onApplied`,
/// `onConnect` and the like.
public struct CallbackHandle: Sendable {
    let removal: @Sendable () -> Void

    /// Removes the callback; it will not be called again (a call already running finishes).
    public func remove() { removal() }
}
