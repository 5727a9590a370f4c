import StarlingNetClient

/// Every error the client SDK throws or reports: a stable ``code`` to switch on, a sentence for
/// people (``message``) and, where there is one, what the server said (``reason``).
///
/// ```swift
/// do {
///     try await conn.call("send_message", [.string("   ")])
/// } catch let error as StarlingError where error.code == .reducerFailed {
///     print(error.reason ?? "")   // "messages must not be empty"
/// }
/// ```
public struct StarlingError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Opening the connection failed: the server is unreachable, refused the WebSocket
        /// upgrade (``StarlingError/httpStatus`` is set), or did not answer in time.
        case connectFailed
        /// The connection dropped without a close frame (1006), or reconnecting gave up.
        case connectionLost
        /// ``StarlingConnection/close()`` was called.
        case closed
        /// The client is reconnecting; requests are not queued, so the app decides whether to retry.
        case notConnected
        /// The server is shutting down (close code 1001).
        case serverGoingAway
        /// A WebSocket protocol error (1002).
        case protocolViolation
        /// The server refused a frame of the wrong kind (1003: text on a BSATN connection or the reverse).
        case unsupportedData
        /// The server could not decode a message this client sent (1007).
        case malformedMessage
        /// The server dropped this client for reading updates too slowly (1008, "slow consumer").
        case slowConsumer
        /// The server refused this client for another policy reason (1008).
        case policyViolation
        /// A message this client sent is larger than the server's limit (1009).
        case messageTooBig
        /// The server hit an internal error (1011).
        case serverError
        /// The server restarted the service, e.g. the module's schema changed (1012); the client reconnects.
        case serviceRestart
        /// The server closed the connection with another code.
        case closedByServer
        /// The reducer ran and failed; ``StarlingError/reason`` is its message.
        case reducerFailed
        /// The schema has no reducer of that name.
        case unknownReducer
        /// The arguments do not fit the reducer's parameters.
        case invalidArguments
        /// The server refused a query set (``StarlingError/reason`` is why) or an unsubscribe.
        case subscriptionFailed
        /// The query set ended (unsubscribed or the client closed) before the server applied it.
        case unsubscribed
        /// A one-off query failed; ``StarlingError/reason`` is the server's message.
        case queryFailed
        /// An HTTP request (minting an identity, loading the schema) was answered with an error status.
        case httpError
        /// A server message this client cannot read, or rows that do not match the schema.
        case protocolError
        /// The schema has no such table, a schema type string does not parse, or generated
        /// bindings no longer match the database's schema.
        case schemaMismatch
        /// The URL, database name or another argument is not usable.
        case invalidArgument
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence for people: what failed and, where it helps, what to do.
    public var message: String
    /// What the server said: the reducer's error message, the subscription or query error, the
    /// HTTP body, or the close frame's reason.
    public var reason: String?
    /// The WebSocket close code, for errors caused by the connection closing.
    public var closeCode: UInt16?
    /// The HTTP status, for ``Code/httpError`` and refused WebSocket upgrades.
    public var httpStatus: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, reason: String? = nil, closeCode: UInt16? = nil, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
        self.closeCode = closeCode
        self.httpStatus = httpStatus
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Whether the failure ended a connection (as opposed to a single request).
    public var isConnectionError: Bool {
        switch code {
        case .connectFailed, .connectionLost, .closed, .notConnected, .serverGoingAway, .protocolViolation, .unsupportedData,
            .malformedMessage, .slowConsumer, .policyViolation, .messageTooBig, .serverError, .serviceRestart, .closedByServer:
            true
        default: false
        }
    }

    /// The error a WebSocket close frame means (`info` nil: the connection dropped without one).
    static func closed(by info: WebSocketCloseInfo?) -> StarlingError {
        let code = info?.code.rawValue ?? 1006
        let reason = info?.reason ?? ""
        let said = reason.isEmpty ? "" : ": \(reason)"
        func error(_ c: Code, _ text: String) -> StarlingError {
            StarlingError(c, "\(text) (\(code))\(said)", reason: reason.isEmpty ? nil : reason, closeCode: code)
        }
        switch code {
        case 1000: return error(.closedByServer, "the server closed the connection")
        case 1001: return error(.serverGoingAway, "the server is going away")
        case 1002: return error(.protocolViolation, "WebSocket protocol error")
        case 1003: return error(.unsupportedData, "the server refused a frame of the wrong kind (text vs binary)")
        case 1005, 1006: return error(.connectionLost, "the connection was lost without a close frame")
        case 1007: return error(.malformedMessage, "the server could not decode a message this client sent")
        case 1008:
            return reason.lowercased().contains("slow")
                ? error(.slowConsumer, "the server dropped this client for reading updates too slowly")
                : error(.policyViolation, "the server refused this client")
        case 1009: return error(.messageTooBig, "a message this client sent is larger than the server's limit")
        case 1011: return error(.serverError, "the server hit an internal error")
        case 1012: return error(.serviceRestart, "the server restarted the service, e.g. the module's schema changed")
        default: return error(.closedByServer, "the server closed the connection")
        }
    }

    /// A network failure while connecting to or talking with `what`.
    static func network(_ error: NetError, _ what: String) -> StarlingError {
        if error.code == .upgradeRefused {
            return StarlingError(.connectFailed, "\(what): \(error.message)", httpStatus: error.httpStatus)
        }
        return StarlingError(.connectFailed, "\(what): \(error.message)")
    }
}
