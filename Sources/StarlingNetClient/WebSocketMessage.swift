/// One complete WebSocket data message, reassembled from its frames.
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message (opcode 0x1), validated as UTF-8.
    case text(String)
    /// A binary message (opcode 0x2).
    case binary([UInt8])
}

/// A WebSocket close status code (RFC 6455 §7.4).
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the purpose of the connection was fulfilled.
    public static let normalClosure = Self(rawValue: 1000)
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    public static let goingAway = Self(rawValue: 1001)
    /// 1002: a protocol error.
    public static let protocolError = Self(rawValue: 1002)
    /// 1003: a data type the endpoint cannot accept.
    public static let unsupportedData = Self(rawValue: 1003)
    /// 1005: the close frame carried no status code. Never sent on the wire.
    public static let noStatusReceived = Self(rawValue: 1005)
    /// 1006: the connection closed without a close frame. Never sent on the wire.
    public static let abnormalClosure = Self(rawValue: 1006)
    /// 1007: message data inconsistent with its type (e.g. invalid UTF-8 in a text message).
    public static let invalidPayload = Self(rawValue: 1007)
    /// 1008: a message violated the endpoint's policy.
    public static let policyViolation = Self(rawValue: 1008)
    /// 1009: a message too big to process.
    public static let messageTooBig = Self(rawValue: 1009)
    /// 1011: the server hit an unexpected condition.
    public static let internalError = Self(rawValue: 1011)

    /// Whether the code may appear in a close frame (RFC 6455 §7.4.1 and §7.4.2).
    var isSendable: Bool {
        switch self.rawValue {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }

    public var description: String { String(self.rawValue) }
}

/// The status code and reason of a WebSocket close frame.
public struct WebSocketCloseInfo: Sendable, Hashable, CustomStringConvertible {
    /// The status code; ``WebSocketCloseCode/noStatusReceived`` when the frame had none and
    /// ``WebSocketCloseCode/abnormalClosure`` when the connection dropped without a close frame.
    public var code: WebSocketCloseCode
    /// The reason text, possibly empty.
    public var reason: String

    /// Creates a close info.
    public init(code: WebSocketCloseCode, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    public var description: String { self.reason.isEmpty ? "\(self.code)" : "\(self.code) \(self.reason)" }
}
