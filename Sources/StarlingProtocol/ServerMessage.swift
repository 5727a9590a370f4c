public import StarlingTypes

/// The rows of one table in a server message, each row in BSATN (a product of the table's columns).
public struct TableRowSet: Sendable, Hashable {
    public var tableName: String
    public var rows: [[UInt8]]
    public init(tableName: String, rows: [[UInt8]]) {
        self.tableName = tableName
        self.rows = rows
    }
}

/// What one transaction inserted into and deleted from one table, as one client sees it.
public struct TableUpdate: Sendable, Hashable {
    public var tableName: String
    public var inserts: [[UInt8]]
    public var deletes: [[UInt8]]
    public init(tableName: String, inserts: [[UInt8]], deletes: [[UInt8]]) {
        self.tableName = tableName
        self.inserts = inserts
        self.deletes = deletes
    }
}

/// Whether a transaction committed, or why the reducer failed.
public enum UpdateStatus: Sendable, Hashable {
    case committed
    case failed(String)
}

/// The reducer call that caused a transaction.
public struct ReducerCallInfo: Sendable, Hashable {
    public var reducerName: String
    /// The arguments in BSATN (the product of the reducer's parameters).
    public var args: [UInt8]
    /// The caller's request id (0 for other clients' calls and scheduled reducers).
    public var requestId: UInt32
    public init(reducerName: String, args: [UInt8], requestId: UInt32) {
        self.reducerName = reducerName
        self.args = args
        self.requestId = requestId
    }
}

/// One committed (or failed) transaction as one client sees it.
public struct TransactionUpdate: Sendable, Hashable {
    public var status: UpdateStatus
    public var timestamp: Timestamp
    public var callerIdentity: Identity
    public var callerConnectionId: ConnectionId
    public var reducerCall: ReducerCallInfo
    public var tables: [TableUpdate]
    public var executionMicros: UInt64
    public init(
        status: UpdateStatus, timestamp: Timestamp, callerIdentity: Identity, callerConnectionId: ConnectionId,
        reducerCall: ReducerCallInfo, tables: [TableUpdate], executionMicros: UInt64
    ) {
        self.status = status
        self.timestamp = timestamp
        self.callerIdentity = callerIdentity
        self.callerConnectionId = callerConnectionId
        self.reducerCall = reducerCall
        self.tables = tables
        self.executionMicros = executionMicros
    }
}

/// The result of a one-off query: columns and rows (rows in BSATN, a product of the columns).
public struct OneOffTable: Sendable, Hashable {
    public var tableName: String
    public var schema: [ColumnSchema]
    public var rows: [[UInt8]]
    public init(tableName: String, schema: [ColumnSchema], rows: [[UInt8]]) {
        self.tableName = tableName
        self.schema = schema
        self.rows = rows
    }

    /// The row type.
    public var rowType: ProductType { ProductType(schema.map { .init($0.name, $0.type) }) }
}

/// A message from the server to a client.
///
/// BSATN layout: a `u8` tag (the case's position, 0...5), then the fields in order. Rows are
/// `array<bytes>`; an optional is a `u8` tag (0 some, 1 none) then the value; a status is a
/// `u8` (0 committed, 1 failed + message).
public enum ServerMessage: Sendable, Hashable {
    /// Always the first message on a connection.
    case identityToken(identity: Identity, token: String, connectionId: ConnectionId)
    /// The initial rows of a new query set.
    case subscribeApplied(requestId: UInt32, queryId: UInt32, tables: [TableRowSet], executionMicros: UInt64)
    /// A query set was dropped; its rows (those not kept by other query sets) leave the client's view.
    case unsubscribeApplied(requestId: UInt32, queryId: UInt32, tables: [TableRowSet], executionMicros: UInt64)
    /// A Subscribe or Unsubscribe failed.
    case subscriptionError(requestId: UInt32?, queryId: UInt32?, error: String)
    /// A transaction's effect on this client's queries (and the caller's outcome).
    case transactionUpdate(TransactionUpdate)
    /// The answer to a OneOffQuery.
    case oneOffQueryResponse(requestId: UInt32, error: String?, tables: [OneOffTable], executionMicros: UInt64)

    /// The message's name as it appears in JSON.
    public var name: String {
        switch self {
        case .identityToken: "IdentityToken"
        case .subscribeApplied: "SubscribeApplied"
        case .unsubscribeApplied: "UnsubscribeApplied"
        case .subscriptionError: "SubscriptionError"
        case .transactionUpdate: "TransactionUpdate"
        case .oneOffQueryResponse: "OneOffQueryResponse"
        }
    }
}
