import NIOCore
import NIOWebSocket

/// The client side of RFC 6455 after the handshake, as a value type: it takes frames from the server and
/// returns what to do. It reassembles fragmented messages, validates text as UTF-8, answers pings, and
/// runs the closing handshake. It does no I/O, so it is tested without sockets.
struct WebSocketProtocolState {
    /// What the caller must do after a frame.
    enum Action: Equatable {
        /// Nothing (a pong, a fragment of an unfinished message, or a frame after the close).
        case none
        /// Hand a complete message to the consumer.
        case deliver(WebSocketMessage)
        /// Answer a ping with a pong carrying `payload`.
        case sendPong(ByteBuffer)
        /// The server closed: record `info`; if `reply`, answer with a close frame; then close the connection.
        case peerClosed(WebSocketCloseInfo, reply: Bool)
        /// The server broke the protocol: report `error`; if `sendClose` is set, send a close frame with
        /// that code (the client had not sent one yet); then close the connection.
        case fail(NetError, sendClose: WebSocketCloseCode?)

        static func == (lhs: Action, rhs: Action) -> Bool {
            switch (lhs, rhs) {
            case (.none, .none): true
            case (.deliver(let a), .deliver(let b)): a == b
            case (.sendPong(let a), .sendPong(let b)): a == b
            case (.peerClosed(let a, let x), .peerClosed(let b, let y)): a == b && x == y
            case (.fail(let a, let x), .fail(let b, let y)): a.code == b.code && x == y
            default: false
            }
        }
    }

    /// Where the closing handshake stands.
    enum Phase: Equatable {
        /// Both directions open.
        case open
        /// The client sent a close frame and waits for the server's.
        case closeSent
        /// Close frames were exchanged, or the connection failed.
        case closed
    }

    private(set) var phase: Phase = .open
    /// The opcode (`.text` or `.binary`) of the fragmented message being reassembled, if any.
    private var fragmentOpcode: WebSocketOpcode?
    private var fragments = ByteBuffer()
    let maxMessageSize: Int
    let authority: String

    init(maxMessageSize: Int, authority: String) {
        self.maxMessageSize = maxMessageSize
        self.authority = authority
    }

    /// Whether data frames may still be sent (no close frame sent or received).
    var canSendData: Bool { self.phase == .open }

    /// The client wants to close: returns true if a close frame should be sent now.
    mutating func closeRequested() -> Bool {
        guard self.phase == .open else { return false }
        self.phase = .closeSent
        return true
    }

    /// The connection failed for a reason outside the protocol (I/O error, reset): nothing more is sent.
    mutating func connectionFailed() { self.phase = .closed }

    /// Processes one frame from the server.
    mutating func receive(_ frame: WebSocketFrame) -> Action {
        guard self.phase != .closed else { return .none }
        guard frame.maskKey == nil else { return self.violation("a masked frame (servers must not mask)") }
        guard frame.reservedBits.isEmpty else {
            return self.violation("a frame with reserved bits set, but no extension was negotiated")
        }
        switch frame.opcode {
        case .text, .binary:
            return self.dataFrame(frame)
        case .continuation:
            return self.continuationFrame(frame)
        case .ping:
            guard frame.fin, frame.length <= 125 else { return self.violation("an invalid ping frame") }
            return self.phase == .open ? .sendPong(frame.data) : .none
        case .pong:
            return .none
        case .connectionClose:
            return self.closeFrame(frame.data)
        default:
            return self.violation("a frame with the reserved opcode \(frame.opcode)")
        }
    }

    private mutating func dataFrame(_ frame: WebSocketFrame) -> Action {
        guard self.fragmentOpcode == nil else {
            return self.violation("a new data frame before the fragmented message was finished")
        }
        guard frame.length <= self.maxMessageSize else { return self.tooLarge() }
        if frame.fin { return self.message(frame.opcode, frame.data) }
        self.fragmentOpcode = frame.opcode
        self.fragments = frame.data
        return .none
    }

    private mutating func continuationFrame(_ frame: WebSocketFrame) -> Action {
        guard let opcode = self.fragmentOpcode else {
            return self.violation("a continuation frame without a message to continue")
        }
        guard self.fragments.readableBytes + frame.length <= self.maxMessageSize else { return self.tooLarge() }
        var data = frame.data
        self.fragments.writeBuffer(&data)
        guard frame.fin else { return .none }
        self.fragmentOpcode = nil
        let whole = self.fragments
        self.fragments = ByteBuffer()
        return self.message(opcode, whole)
    }

    private mutating func message(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> Action {
        guard opcode == .text else { return .deliver(.binary(Array(data.readableBytesView))) }
        guard let text = Self.utf8(data) else {
            return self.fail(
                NetError(.protocolViolation, "\(self.authority) sent a text message that is not valid UTF-8"),
                code: .invalidPayload
            )
        }
        return .deliver(.text(text))
    }

    private mutating func closeFrame(_ payload: ByteBuffer) -> Action {
        var payload = payload
        let info: WebSocketCloseInfo
        switch payload.readableBytes {
        case 0:
            info = WebSocketCloseInfo(code: .noStatusReceived)
        case 1:
            return self.violation("a close frame with a 1-byte payload")
        default:
            let code = WebSocketCloseCode(rawValue: payload.readInteger(as: UInt16.self)!)
            guard code.isSendable else { return self.violation("a close frame with the invalid status code \(code)") }
            guard let reason = Self.utf8(payload) else {
                return self.fail(
                    NetError(.protocolViolation, "\(self.authority) sent a close reason that is not valid UTF-8"),
                    code: .invalidPayload
                )
            }
            info = WebSocketCloseInfo(code: code, reason: reason)
        }
        let reply = self.phase == .open
        self.phase = .closed
        return .peerClosed(info, reply: reply)
    }

    private mutating func violation(_ what: String) -> Action {
        self.fail(
            NetError(.protocolViolation, "\(self.authority) violated the WebSocket protocol: \(what)"),
            code: .protocolError
        )
    }

    private mutating func tooLarge() -> Action {
        self.fail(
            NetError(
                .messageTooLarge,
                "\(self.authority) sent a message larger than maxMessageSize (\(self.maxMessageSize) bytes)"
            ),
            code: .messageTooBig
        )
    }

    private mutating func fail(_ error: NetError, code: WebSocketCloseCode) -> Action {
        let sendClose = self.phase == .open ? code : nil
        self.phase = .closed
        self.fragmentOpcode = nil
        self.fragments = ByteBuffer()
        return .fail(error, sendClose: sendClose)
    }

    /// The readable bytes as a String if they are valid UTF-8.
    static func utf8(_ buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
    }
}
