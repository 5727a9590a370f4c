public import StarlingTypes

/// What the JSON form of server messages needs to know about the database: the row type of each
/// table (rows are objects keyed by column name) and how to render a reducer's BSATN arguments.
public struct JSONRendering: Sendable {
    public var rowType: @Sendable (String) -> ProductType?
    public var reducerArgs: @Sendable (String, [UInt8]) -> JSONValue
    public init(
        rowType: @escaping @Sendable (String) -> ProductType?, reducerArgs: @escaping @Sendable (String, [UInt8]) -> JSONValue
    ) {
        self.rowType = rowType
        self.reducerArgs = reducerArgs
    }

    /// One row as a JSON object (or as an array of byte values if the table is unknown or the bytes don't decode).
    public func row(_ bytes: [UInt8], table: String) -> JSONValue {
        guard let t = rowType(table) else { return .array(bytes.map { .integer($0) }) }
        return Self.row(bytes, type: t)
    }

    /// One row of type `type` as a JSON object keyed by column name.
    public static func row(_ bytes: [UInt8], type: ProductType) -> JSONValue {
        guard let v = try? AlgebraicValue.decode(.product(type), from: bytes) else { return .array(bytes.map { .integer($0) }) }
        return v.json(.product(type))
    }
}

extension ServerMessage {
    /// The JSON form: `{"<MessageName>": {...}}`.
    public func json(_ render: JSONRendering) -> JSONValue {
        .object([(key: name, value: body(render))])
    }

    private func body(_ render: JSONRendering) -> JSONValue {
        switch self {
        case .identityToken(let identity, let token, let connection):
            return ["identity": .string(identity.hexString), "token": .string(token), "connection_id": .string(connection.hexString)]
        case .subscribeApplied(let r, let q, let tables, let micros), .unsubscribeApplied(let r, let q, let tables, let micros):
            let ts: [JSONValue] = tables.map { t in
                ["table_name": .string(t.tableName), "rows": .array(t.rows.map { render.row($0, table: t.tableName) })]
            }
            return [
                "request_id": .integer(r), "query_id": .integer(q), "tables": .array(ts),
                "total_host_execution_duration_micros": .integer(micros),
            ]
        case .subscriptionError(let r, let q, let error):
            return [
                "request_id": r.map { .integer($0) } ?? .null, "query_id": q.map { .integer($0) } ?? .null, "error": .string(error),
            ]
        case .transactionUpdate(let u):
            return Self.transactionBody(u, tables: u.tables.map { $0.json(render) }, render: render)
        case .oneOffQueryResponse(let r, let error, let tables, let micros):
            let ts: [JSONValue] = tables.map { t in
                let type = t.rowType
                return [
                    "table_name": .string(t.tableName),
                    "schema": .array(t.schema.map { ["name": .string($0.name), "type": .string($0.type.description)] }),
                    "rows": .array(t.rows.map { JSONRendering.row($0, type: type) }),
                ]
            }
            return [
                "request_id": .integer(r), "error": error.map { .string($0) } ?? .null, "tables": .array(ts),
                "total_host_execution_duration_micros": .integer(micros),
            ]
        }
    }

    /// A TransactionUpdate message whose table updates were rendered already (a server renders
    /// each table's update once and shares it between the clients that see it).
    public static func transactionJSON(_ u: TransactionUpdate, tables: [JSONValue], render: JSONRendering) -> JSONValue {
        .object([(key: "TransactionUpdate", value: transactionBody(u, tables: tables, render: render))])
    }

    /// The fields of a TransactionUpdate (what ``transactionJSON(_:tables:render:)`` wraps).
    static func transactionBody(_ u: TransactionUpdate, tables: [JSONValue], render: JSONRendering) -> JSONValue {
        let status: JSONValue
        switch u.status {
        case .committed: status = "committed"
        case .failed(let m): status = ["failed": .string(m)]
        }
        let body: JSONValue = [
            "status": status,
            "timestamp_micros": .integer(u.timestamp.microsSinceUnixEpoch),
            "caller_identity": .string(u.callerIdentity.hexString),
            "caller_connection_id": .string(u.callerConnectionId.hexString),
            "reducer_call": [
                "reducer_name": .string(u.reducerCall.reducerName),
                "args": render.reducerArgs(u.reducerCall.reducerName, u.reducerCall.args),
                "request_id": .integer(u.reducerCall.requestId),
            ],
            "tables": .array(tables),
            "execution_micros": .integer(u.executionMicros),
        ]
        return body
    }
}

extension TableUpdate {
    /// `{"table_name": ..., "inserts": [rows], "deletes": [rows]}` with rows as objects.
    public func json(_ render: JSONRendering) -> JSONValue {
        [
            "table_name": .string(tableName),
            "inserts": .array(inserts.map { render.row($0, table: tableName) }),
            "deletes": .array(deletes.map { render.row($0, table: tableName) }),
        ]
    }
}
