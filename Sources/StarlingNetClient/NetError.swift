/// An error from `StarlingNetClient`: a machine-readable ``Code`` plus a message for people.
///
/// Messages name the endpoint and, where there is one, what to do next:
/// "connection refused to 127.0.0.1:3000 — is `starling start` running?".
///
/// Match on the code with `catch`:
/// ```swift
/// do { ... } catch NetError.Code.connectionRefused { ... }
/// ```
public struct NetError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Codes never cross the wire; they exist for `catch` and `switch`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// The URL could not be parsed or uses an unsupported scheme.
        public static let invalidURL = Code(rawValue: 1)
        /// Nothing listens on the host and port.
        public static let connectionRefused = Code(rawValue: 2)
        /// The host name did not resolve to any address.
        public static let hostNotFound = Code(rawValue: 3)
        /// Connecting, the handshake or the whole request took longer than its timeout.
        public static let timedOut = Code(rawValue: 4)
        /// The peer closed (or reset) the connection before the exchange was complete.
        public static let connectionClosed = Code(rawValue: 5)
        /// The peer sent something that is not valid HTTP/1.1.
        public static let malformedResponse = Code(rawValue: 6)
        /// A response body exceeded the configured limit.
        public static let responseTooLarge = Code(rawValue: 7)
        /// The server answered the WebSocket upgrade request with something other than `101`.
        public static let upgradeRefused = Code(rawValue: 8)
        /// The server selected a WebSocket subprotocol other than the one requested.
        public static let subprotocolMismatch = Code(rawValue: 9)
        /// The peer violated RFC 6455 (bad opcode sequence, invalid UTF-8, bad close frame ...).
        public static let protocolViolation = Code(rawValue: 10)
        /// A WebSocket frame or reassembled message exceeded the configured limit.
        public static let messageTooLarge = Code(rawValue: 11)
        /// The connection is closing or closed; nothing more can be sent.
        public static let alreadyClosed = Code(rawValue: 12)
        /// The calling task was cancelled.
        public static let cancelled = Code(rawValue: 13)
        /// Any other I/O failure; the message carries the underlying error.
        public static let io = Code(rawValue: 14)
        /// The server's TLS certificate does not chain to a trusted root (self-signed, a private CA that is not
        /// trusted, or expired). Trust a private CA with ``TLSOptions/caFile``.
        public static let tlsCertificateUntrusted = Code(rawValue: 15)
        /// The server's TLS certificate is valid but names other hosts than the one in the URL.
        public static let tlsHostnameMismatch = Code(rawValue: 16)
        /// The TLS handshake failed for another reason: the server does not speak TLS on that port, no common
        /// protocol version or cipher, or the server aborted the handshake.
        public static let tlsHandshakeFailed = Code(rawValue: 17)
        /// The TLS options cannot be used (the CA file is missing or holds no PEM certificate).
        public static let tlsConfiguration = Code(rawValue: 18)

        public var description: String {
            switch self {
            case .invalidURL: "invalidURL"
            case .connectionRefused: "connectionRefused"
            case .hostNotFound: "hostNotFound"
            case .timedOut: "timedOut"
            case .connectionClosed: "connectionClosed"
            case .malformedResponse: "malformedResponse"
            case .responseTooLarge: "responseTooLarge"
            case .upgradeRefused: "upgradeRefused"
            case .subprotocolMismatch: "subprotocolMismatch"
            case .protocolViolation: "protocolViolation"
            case .messageTooLarge: "messageTooLarge"
            case .alreadyClosed: "alreadyClosed"
            case .cancelled: "cancelled"
            case .io: "io"
            case .tlsCertificateUntrusted: "tlsCertificateUntrusted"
            case .tlsHostnameMismatch: "tlsHostnameMismatch"
            case .tlsHandshakeFailed: "tlsHandshakeFailed"
            case .tlsConfiguration: "tlsConfiguration"
            default: "code \(self.rawValue)"
            }
        }

        /// Lets `catch NetError.Code.timedOut` match a thrown ``NetError`` with that code.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? NetError)?.code == code
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence for people: what failed, where, and what to do if there is something to do.
    public var message: String
    /// The HTTP status the server answered with, for ``Code/upgradeRefused``.
    public var httpStatus: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    public var description: String { self.message }
}
