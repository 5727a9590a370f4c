import StarlingProtocol
import StarlingTypes

/// Reads server messages of the JSON protocol (`v1.json.starling`, the form
/// `ServerMessage.json(_:)` writes) into the same ``ServerMessage`` values the BSATN protocol
/// gives: rows (JSON objects keyed by column name) and reducer arguments are converted to BSATN
/// with the schema's types, so the cache keys rows the same way under both protocols.
enum JSONServerMessage {
    static func decode(_ text: String, schema: DatabaseSchema) throws(StarlingError) -> ServerMessage {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw failure("invalid JSON: \(error)") }
        guard let members = json.objectMembers, members.count == 1 else { throw failure("a message is an object with one key") }
        let (kind, body) = members[0]
        switch kind {
        case "IdentityToken":
            guard let identity = body["identity"]?.stringValue.flatMap(Identity.init(hex:)),
                let token = body["token"]?.stringValue,
                let connection = body["connection_id"]?.stringValue.flatMap(ConnectionId.init(hex:))
            else { throw failure("IdentityToken lacks identity, token or connection_id") }
            return .identityToken(identity: identity, token: token, connectionId: connection)
        case "SubscribeApplied", "UnsubscribeApplied":
            let requestId = try u32(body["request_id"], "request_id")
            let queryId = try u32(body["query_id"], "query_id")
            var tables: [TableRowSet] = []
            for t in body["tables"]?.arrayValue ?? [] {
                let name = try string(t["table_name"], "table_name")
                tables.append(TableRowSet(tableName: name, rows: try rows(t["rows"], table: name, schema)))
            }
            let micros = try u64(body["total_host_execution_duration_micros"])
            return kind == "SubscribeApplied"
                ? .subscribeApplied(requestId: requestId, queryId: queryId, tables: tables, executionMicros: micros)
                : .unsubscribeApplied(requestId: requestId, queryId: queryId, tables: tables, executionMicros: micros)
        case "SubscriptionError":
            let requestId = nonNull(body["request_id"])
            let queryId = nonNull(body["query_id"])
            return .subscriptionError(
                requestId: try requestId.map { v throws(StarlingError) in try u32(v, "request_id") },
                queryId: try queryId.map { v throws(StarlingError) in try u32(v, "query_id") },
                error: try string(body["error"], "error"))
        case "TransactionUpdate":
            return .transactionUpdate(try transaction(body, schema))
        case "OneOffQueryResponse":
            return try oneOff(body)
        default:
            throw failure("unknown message `\(kind)`")
        }
    }

    private static func transaction(_ body: JSONValue, _ schema: DatabaseSchema) throws(StarlingError) -> TransactionUpdate {
        let status: UpdateStatus
        if body["status"]?.stringValue == "committed" {
            status = .committed
        } else if let message = body["status"]?["failed"]?.stringValue {
            status = .failed(message)
        } else {
            throw failure("TransactionUpdate has an unknown status")
        }
        guard let caller = body["caller_identity"]?.stringValue.flatMap(Identity.init(hex:)),
            let connection = body["caller_connection_id"]?.stringValue.flatMap(ConnectionId.init(hex:)),
            let call = body["reducer_call"]
        else { throw failure("TransactionUpdate lacks its caller or reducer_call") }
        let reducer = try string(call["reducer_name"], "reducer_name")
        var tables: [TableUpdate] = []
        for t in body["tables"]?.arrayValue ?? [] {
            let name = try string(t["table_name"], "table_name")
            tables.append(
                TableUpdate(tableName: name, inserts: try rows(t["inserts"], table: name, schema), deletes: try rows(t["deletes"], table: name, schema)))
        }
        return TransactionUpdate(
            status: status, timestamp: Timestamp(microsSinceUnixEpoch: try i64(body["timestamp_micros"])), callerIdentity: caller,
            callerConnectionId: connection,
            reducerCall: ReducerCallInfo(
                reducerName: reducer, args: args(call["args"], reducer: reducer, schema), requestId: try u32(call["request_id"], "request_id")),
            tables: tables, executionMicros: try u64(body["execution_micros"]))
    }

    private static func oneOff(_ body: JSONValue) throws(StarlingError) -> ServerMessage {
        let error = body["error"].flatMap { $0.isNull ? nil : $0.stringValue }
        var tables: [OneOffTable] = []
        for t in body["tables"]?.arrayValue ?? [] {
            var columns: [ColumnSchema] = []
            for c in t["schema"]?.arrayValue ?? [] {
                columns.append(ColumnSchema(try string(c["name"], "name"), try TypeString.parse(try string(c["type"], "type"))))
            }
            let type = ProductType(columns.map { .init($0.name, $0.type) })
            var rows: [[UInt8]] = []
            for r in t["rows"]?.arrayValue ?? [] { rows.append(try row(r, type, what: "a one-off query row")) }
            tables.append(OneOffTable(tableName: try string(t["table_name"], "table_name"), schema: columns, rows: rows))
        }
        return .oneOffQueryResponse(
            requestId: try u32(body["request_id"], "request_id"), error: error, tables: tables,
            executionMicros: try u64(body["total_host_execution_duration_micros"]))
    }

    private static func rows(_ json: JSONValue?, table: String, _ schema: DatabaseSchema) throws(StarlingError) -> [[UInt8]] {
        let list = json?.arrayValue ?? []
        guard !list.isEmpty else { return [] }
        let type = try schema.table(table).rowType
        var out: [[UInt8]] = []
        out.reserveCapacity(list.count)
        for r in list { out.append(try row(r, type, what: "a row of table `\(table)`")) }
        return out
    }

    private static func row(_ json: JSONValue, _ type: ProductType, what: String) throws(StarlingError) -> [UInt8] {
        do {
            return try AlgebraicValue.productFromJSON(json, as: type).bsatn
        } catch {
            throw failure("\(what) does not match its type: \(error)")
        }
    }

    /// The BSATN of a reducer's JSON arguments (empty if the reducer is not in the schema, e.g. `__sql__`).
    private static func args(_ json: JSONValue?, reducer: String, _ schema: DatabaseSchema) -> [UInt8] {
        guard let json, let r = try? schema.reducer(reducer) else { return [] }
        if let value = try? AlgebraicValue.productFromJSON(json, as: r.argsType) { return value.bsatn }
        guard let list = json.arrayValue, list.count == r.params.count else { return [] }
        var values: [AlgebraicValue] = []
        for (v, p) in zip(list, r.params) {
            guard let x = try? AlgebraicValue.fromJSON(v, as: p.type) else { return [] }
            values.append(x)
        }
        return AlgebraicValue.product(values).bsatn
    }

    /// The value unless it is missing or JSON `null` (JSONValue is `nil`-literal convertible, so spell it out).
    private static func nonNull(_ v: JSONValue?) -> JSONValue? {
        guard let v, !v.isNull else { return nil }
        return v
    }

    private static func failure(_ what: String) -> StarlingError {
        StarlingError(.protocolError, "cannot read a JSON server message: \(what)")
    }

    private static func string(_ v: JSONValue?, _ key: String) throws(StarlingError) -> String {
        guard let s = v?.stringValue else { throw failure("`\(key)` is missing or not a string") }
        return s
    }

    private static func integerText(_ v: JSONValue?) -> String? { v?.numberText ?? v?.stringValue }

    private static func u32(_ v: JSONValue?, _ key: String) throws(StarlingError) -> UInt32 {
        guard let t = integerText(v), let n = UInt32(t) else { throw failure("`\(key)` is missing or not a u32") }
        return n
    }

    private static func u64(_ v: JSONValue?) throws(StarlingError) -> UInt64 {
        guard let v else { return 0 }
        guard let t = integerText(v), let n = UInt64(t) else { throw failure("a duration is not a u64") }
        return n
    }

    private static func i64(_ v: JSONValue?) throws(StarlingError) -> Int64 {
        guard let t = integerText(v), let n = Int64(t) else { throw failure("a timestamp is missing or not an i64") }
        return n
    }
}
