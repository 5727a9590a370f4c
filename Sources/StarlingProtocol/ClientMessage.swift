public import StarlingTypes

/// The arguments of a reducer call as the client sent them: a JSON array (JSON protocol) or the
/// BSATN product of the reducer's parameters (BSATN protocol).
public enum ReducerArgs: Sendable, Hashable {
    case json(JSONValue)
    case bsatn([UInt8])
}

/// A message from a client to the server.
///
/// BSATN layout: a `u8` tag (the case's position, 0...3) followed by the fields in order;
/// `u32` ids, strings and byte arrays as `u32` length + bytes, string arrays as `u32` count +
/// strings.
public enum ClientMessage: Sendable, Hashable {
    /// Start (or replace) the query set `queryId` with these SQL queries.
    case subscribe(requestId: UInt32, queryId: UInt32, queries: [String])
    /// Drop the query set `queryId`.
    case unsubscribe(requestId: UInt32, queryId: UInt32)
    /// Call a reducer by name.
    case callReducer(requestId: UInt32, reducer: String, args: ReducerArgs)
    /// Run one read-only SQL query.
    case oneOffQuery(requestId: UInt32, query: String)

    /// The request id the client chose (echoed in the answer).
    public var requestId: UInt32 {
        switch self {
        case .subscribe(let r, _, _), .unsubscribe(let r, _), .callReducer(let r, _, _), .oneOffQuery(let r, _): r
        }
    }
}

// MARK: - BSATN

extension ClientMessage {
    /// The BSATN form.
    public var bsatn: [UInt8] {
        var w = BSATNWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Appends the BSATN form to `w`. JSON arguments cannot be sent in BSATN: encode them first.
    public func encode(to w: inout BSATNWriter) {
        switch self {
        case .subscribe(let r, let q, let queries):
            w.write(0 as UInt8)
            w.write(r)
            w.write(q)
            w.writeLength(queries.count)
            for s in queries { w.write(s) }
        case .unsubscribe(let r, let q):
            w.write(1 as UInt8)
            w.write(r)
            w.write(q)
        case .callReducer(let r, let name, let args):
            w.write(2 as UInt8)
            w.write(r)
            w.write(name)
            switch args {
            case .bsatn(let b): w.writeBytes(b)
            case .json(let j): w.writeBytes(j.utf8)
            }
        case .oneOffQuery(let r, let q):
            w.write(3 as UInt8)
            w.write(r)
            w.write(q)
        }
    }

    /// Reads a BSATN message; the whole buffer must be one message.
    public static func decode(bsatn bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> ClientMessage {
        var r = BSATNReader(bytes)
        do throws(BSATNError) {
            let msg: ClientMessage
            switch try r.readU8() {
            case 0:
                let req: UInt32 = try r.readLE()
                let q: UInt32 = try r.readLE()
                let n = try r.readLength(minElementSize: 4)
                var queries: [String] = []
                for _ in 0..<n { queries.append(try r.readString()) }
                msg = .subscribe(requestId: req, queryId: q, queries: queries)
            case 1: msg = .unsubscribe(requestId: try r.readLE(), queryId: try r.readLE())
            case 2:
                let req: UInt32 = try r.readLE()
                let name = try r.readString()
                msg = .callReducer(requestId: req, reducer: name, args: .bsatn(try r.readBytes()))
            case 3:
                let req: UInt32 = try r.readLE()
                msg = .oneOffQuery(requestId: req, query: try r.readString())
            case let tag:
                throw BSATNError(
                    .invalidTag, "unknown client message tag \(tag) (expected 0 Subscribe, 1 Unsubscribe, 2 CallReducer, 3 OneOffQuery)",
                    offset: 0)
            }
            try r.expectEnd()
            return msg
        } catch {
            throw ProtocolError("malformed BSATN message: \(error.message) at byte \(error.offset)")
        }
    }
}

// MARK: - JSON

extension ClientMessage {
    /// The JSON form, e.g. `{"CallReducer": {"request_id": 3, "reducer": "move", "args": [1, 2]}}`.
    public var json: JSONValue {
        switch self {
        case .subscribe(let r, let q, let queries):
            return ["Subscribe": ["request_id": .integer(r), "query_id": .integer(q), "query_strings": .array(queries.map { .string($0) })]]
        case .unsubscribe(let r, let q):
            return ["Unsubscribe": ["request_id": .integer(r), "query_id": .integer(q)]]
        case .callReducer(let r, let name, let args):
            let a: JSONValue
            switch args {
            case .json(let j): a = j
            case .bsatn(let b): a = .array(b.map { .integer($0) })
            }
            return ["CallReducer": ["request_id": .integer(r), "reducer": .string(name), "args": a]]
        case .oneOffQuery(let r, let q):
            return ["OneOffQuery": ["request_id": .integer(r), "query_string": .string(q)]]
        }
    }

    /// Reads a JSON message (one object with one key naming the message).
    public static func decode(json text: UnsafeRawBufferPointer) throws(ProtocolError) -> ClientMessage {
        let value: JSONValue
        do { value = try JSONValue.parse(utf8: text) } catch { throw ProtocolError("malformed JSON message: \(error)") }
        guard let members = value.objectMembers, members.count == 1 else {
            throw ProtocolError("a message is a JSON object with one key: Subscribe, Unsubscribe, CallReducer or OneOffQuery")
        }
        let (kind, body) = members[0]
        guard body.objectMembers != nil else { throw ProtocolError("`\(kind)` must hold an object") }
        switch kind {
        case "Subscribe":
            guard let list = body["query_strings"]?.arrayValue else { throw missing(kind, "query_strings", "an array of strings") }
            var queries: [String] = []
            for q in list {
                guard let s = q.stringValue else { throw ProtocolError("`Subscribe.query_strings` must hold strings") }
                queries.append(s)
            }
            return .subscribe(requestId: try id(body, kind, "request_id"), queryId: try id(body, kind, "query_id"), queries: queries)
        case "Unsubscribe":
            return .unsubscribe(requestId: try id(body, kind, "request_id"), queryId: try id(body, kind, "query_id"))
        case "CallReducer":
            guard let name = body["reducer"]?.stringValue else { throw missing(kind, "reducer", "a string") }
            let args = body["args"] ?? .array([])
            guard args.arrayValue != nil || args.objectMembers != nil else {
                throw ProtocolError("`CallReducer.args` must be a JSON array of arguments (or an object keyed by parameter name)")
            }
            return .callReducer(requestId: try id(body, kind, "request_id"), reducer: name, args: .json(args))
        case "OneOffQuery":
            guard let q = body["query_string"]?.stringValue else { throw missing(kind, "query_string", "a string") }
            return .oneOffQuery(requestId: try id(body, kind, "request_id"), query: q)
        default:
            throw ProtocolError("unknown message `\(kind)` (expected Subscribe, Unsubscribe, CallReducer or OneOffQuery)")
        }
    }

    private static func id(_ body: JSONValue, _ kind: String, _ key: String) throws(ProtocolError) -> UInt32 {
        guard let v = body[key] else { return 0 }
        guard let text = v.numberText, let n = UInt32(text) else {
            throw ProtocolError("`\(kind).\(key)` must be an integer from 0 to \(UInt32.max)")
        }
        return n
    }

    private static func missing(_ kind: String, _ key: String, _ what: String) -> ProtocolError {
        ProtocolError("`\(kind).\(key)` is missing or not \(what)")
    }
}
