public import StarlingTypes

extension ServerMessage {
    /// The BSATN form.
    public var bsatn: [UInt8] {
        var w = BSATNWriter(capacity: 128)
        encode(to: &w)
        return w.bytes
    }

    /// Appends the BSATN form to `w`.
    public func encode(to w: inout BSATNWriter) {
        switch self {
        case .identityToken(let identity, let token, let connection):
            w.write(0 as UInt8)
            identity.encode(to: &w)
            w.write(token)
            w.write(connection.value)
        case .subscribeApplied(let r, let q, let tables, let micros), .unsubscribeApplied(let r, let q, let tables, let micros):
            if case .subscribeApplied = self { w.write(1 as UInt8) } else { w.write(2 as UInt8) }
            w.write(r)
            w.write(q)
            w.writeLength(tables.count)
            for t in tables {
                w.write(t.tableName)
                Self.writeRows(t.rows, to: &w)
            }
            w.write(micros)
        case .subscriptionError(let r, let q, let error):
            w.write(3 as UInt8)
            Self.writeOptional(r, to: &w)
            Self.writeOptional(q, to: &w)
            w.write(error)
        case .transactionUpdate(let u):
            Self.writeTransactionHeader(u, to: &w)
            w.writeLength(u.tables.count)
            for t in u.tables { t.encode(to: &w) }
            w.write(u.executionMicros)
        case .oneOffQueryResponse(let r, let error, let tables, let micros):
            w.write(5 as UInt8)
            w.write(r)
            if let error {
                w.write(0 as UInt8)
                w.write(error)
            } else {
                w.write(1 as UInt8)
            }
            w.writeLength(tables.count)
            for t in tables {
                w.write(t.tableName)
                w.writeLength(t.schema.count)
                for c in t.schema {
                    w.write(c.name)
                    c.type.encode(to: &w)
                }
                Self.writeRows(t.rows, to: &w)
            }
            w.write(micros)
        }
    }

    /// Writes a TransactionUpdate's tag and fields up to (not including) its tables, so a server
    /// can append table updates it encoded once for many clients, then the execution time.
    public static func writeTransactionHeader(_ u: TransactionUpdate, to w: inout BSATNWriter) {
        let failure: String?
        switch u.status {
        case .committed: failure = nil
        case .failed(let m): failure = m
        }
        writeTransactionHeader(
            failure: failure, timestamp: u.timestamp, caller: u.callerIdentity, connection: u.callerConnectionId,
            reducerName: u.reducerCall.reducerName, args: u.reducerCall.args, requestId: u.reducerCall.requestId, to: &w)
    }

    /// ``writeTransactionHeader(_:to:)`` from the message's parts (`failure` nil: committed).
    public static func writeTransactionHeader(
        failure: String?, timestamp: Timestamp, caller: Identity, connection: ConnectionId, reducerName: String,
        args: [UInt8], requestId: UInt32, to w: inout BSATNWriter
    ) {
        w.write(4 as UInt8)
        if let failure {
            w.write(1 as UInt8)
            w.write(failure)
        } else {
            w.write(0 as UInt8)
        }
        w.write(timestamp.microsSinceUnixEpoch)
        caller.encode(to: &w)
        w.write(connection.value)
        w.write(reducerName)
        w.writeBytes(args)
        w.write(requestId)
    }

    static func writeRows(_ rows: [[UInt8]], to w: inout BSATNWriter) {
        w.writeLength(rows.count)
        for r in rows { w.writeBytes(r) }
    }

    private static func writeOptional(_ v: UInt32?, to w: inout BSATNWriter) {
        if let v {
            w.write(0 as UInt8)
            w.write(v)
        } else {
            w.write(1 as UInt8)
        }
    }
}

extension TableUpdate {
    /// Appends this table update (name, inserts, deletes) in BSATN.
    public func encode(to w: inout BSATNWriter) {
        w.write(tableName)
        ServerMessage.writeRows(inserts, to: &w)
        ServerMessage.writeRows(deletes, to: &w)
    }
}

// MARK: - Decoding (clients)

extension ServerMessage {
    /// Reads a BSATN server message; the whole buffer must be one message.
    public static func decode(bsatn bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> ServerMessage {
        var r = BSATNReader(bytes)
        do throws(BSATNError) {
            let m = try decodeBody(&r)
            try r.expectEnd()
            return m
        } catch {
            throw ProtocolError("malformed BSATN server message: \(error.message) at byte \(error.offset)")
        }
    }

    private static func decodeBody(_ r: inout BSATNReader) throws(BSATNError) -> ServerMessage {
        let at = r.position
        switch try r.readU8() {
        case 0:
            let id = try Identity.decode(from: &r)
            let token = try r.readString()
            return .identityToken(identity: id, token: token, connectionId: ConnectionId(try r.readLE()))
        case let tag where tag == 1 || tag == 2:
            let req: UInt32 = try r.readLE()
            let q: UInt32 = try r.readLE()
            var tables: [TableRowSet] = []
            for _ in 0..<(try r.readLength(minElementSize: 8)) {
                tables.append(TableRowSet(tableName: try r.readString(), rows: try readRows(&r)))
            }
            let micros: UInt64 = try r.readLE()
            return tag == 1
                ? .subscribeApplied(requestId: req, queryId: q, tables: tables, executionMicros: micros)
                : .unsubscribeApplied(requestId: req, queryId: q, tables: tables, executionMicros: micros)
        case 3:
            let req = try readOptional(&r)
            let q = try readOptional(&r)
            return .subscriptionError(requestId: req, queryId: q, error: try r.readString())
        case 4: return .transactionUpdate(try decodeTransaction(&r))
        case 5:
            let req: UInt32 = try r.readLE()
            let error: String? = try r.readU8() == 0 ? try r.readString() : nil
            var tables: [OneOffTable] = []
            for _ in 0..<(try r.readLength(minElementSize: 12)) {
                let name = try r.readString()
                var schema: [ColumnSchema] = []
                for _ in 0..<(try r.readLength(minElementSize: 5)) {
                    let col = try r.readString()
                    schema.append(ColumnSchema(col, try AlgebraicType.decode(from: &r)))
                }
                tables.append(OneOffTable(tableName: name, schema: schema, rows: try readRows(&r)))
            }
            return .oneOffQueryResponse(requestId: req, error: error, tables: tables, executionMicros: try r.readLE())
        case let tag:
            throw BSATNError(.invalidTag, "unknown server message tag \(tag)", offset: at)
        }
    }

    private static func decodeTransaction(_ r: inout BSATNReader) throws(BSATNError) -> TransactionUpdate {
        let status: UpdateStatus = try r.readU8() == 0 ? .committed : .failed(try r.readString())
        let ts = Timestamp(microsSinceUnixEpoch: try r.readLE())
        let caller = try Identity.decode(from: &r)
        let conn = ConnectionId(try r.readLE())
        let call = ReducerCallInfo(reducerName: try r.readString(), args: try r.readBytes(), requestId: try r.readLE())
        var tables: [TableUpdate] = []
        for _ in 0..<(try r.readLength(minElementSize: 12)) {
            tables.append(TableUpdate(tableName: try r.readString(), inserts: try readRows(&r), deletes: try readRows(&r)))
        }
        return TransactionUpdate(
            status: status, timestamp: ts, callerIdentity: caller, callerConnectionId: conn, reducerCall: call, tables: tables,
            executionMicros: try r.readLE())
    }

    private static func readRows(_ r: inout BSATNReader) throws(BSATNError) -> [[UInt8]] {
        var rows: [[UInt8]] = []
        for _ in 0..<(try r.readLength(minElementSize: 4)) { rows.append(try r.readBytes()) }
        return rows
    }

    private static func readOptional(_ r: inout BSATNReader) throws(BSATNError) -> UInt32? {
        try r.readU8() == 0 ? try r.readLE() as UInt32 : nil
    }
}
