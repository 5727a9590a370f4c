import NIOCore
import NIOWebSocket
import Testing

@testable import StarlingNetClient

/// The protocol state machine without sockets: frames in, actions out.
struct WebSocketProtocolStateTests {
    private func state(maxMessageSize: Int = 1 << 20) -> WebSocketProtocolState {
        WebSocketProtocolState(maxMessageSize: maxMessageSize, authority: "test:1")
    }

    private func frame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))
    }

    private func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> WebSocketFrame {
        self.frame(opcode, Array(text.utf8), fin: fin)
    }

    private func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }

    private func failureCode(_ action: WebSocketProtocolState.Action) -> NetError.Code? {
        if case .fail(let error, _) = action { return error.code }
        return nil
    }

    @Test func wholeMessages() {
        var s = self.state()
        #expect(s.receive(self.frame(.text, "hi")) == .deliver(.text("hi")))
        #expect(s.receive(self.frame(.binary, [1, 2])) == .deliver(.binary([1, 2])))
        #expect(s.receive(self.frame(.text, "")) == .deliver(.text("")))
    }

    @Test func fragmentsWithInterleavedControlFrames() {
        var s = self.state()
        #expect(s.receive(self.frame(.text, "a", fin: false)) == .none)
        #expect(s.receive(self.frame(.ping, "p")) == .sendPong(ByteBuffer(string: "p")))
        #expect(s.receive(self.frame(.continuation, "b", fin: false)) == .none)
        #expect(s.receive(self.frame(.pong, "")) == .none)
        #expect(s.receive(self.frame(.continuation, "c")) == .deliver(.text("abc")))
        #expect(s.receive(self.frame(.binary, [1], fin: false)) == .none)
        #expect(s.receive(self.frame(.continuation, [2])) == .deliver(.binary([1, 2])))
    }

    @Test func utf8SplitAcrossFragments() {
        var s = self.state()
        let bytes = Array("é".utf8)  // two bytes
        #expect(s.receive(self.frame(.text, [bytes[0]], fin: false)) == .none)
        #expect(s.receive(self.frame(.continuation, [bytes[1]])) == .deliver(.text("é")))
    }

    @Test func invalidUTF8Fails1007() {
        var s = self.state()
        #expect(
            s.receive(self.frame(.text, [0xC3, 0x28]))
                == .fail(NetError(.protocolViolation, ""), sendClose: .invalidPayload)
        )
        #expect(s.phase == .closed)
        #expect(s.receive(self.frame(.text, "ignored")) == .none)
    }

    @Test func sequenceViolations() {
        var s = self.state()
        #expect(
            s.receive(self.frame(.continuation, "x"))
                == .fail(NetError(.protocolViolation, ""), sendClose: .protocolError)
        )
        s = self.state()
        _ = s.receive(self.frame(.text, "a", fin: false))
        #expect(self.failureCode(s.receive(self.frame(.text, "b"))) == .protocolViolation)
        s = self.state()
        var masked = self.frame(.text, "m")
        masked.maskKey = [1, 2, 3, 4]
        #expect(self.failureCode(s.receive(masked)) == .protocolViolation)
        s = self.state()
        var reserved = self.frame(.text, "r")
        reserved.rsv1 = true
        #expect(self.failureCode(s.receive(reserved)) == .protocolViolation)
    }

    @Test func messageSizeLimitCoversFragments() {
        var s = self.state(maxMessageSize: 4)
        #expect(s.receive(self.frame(.binary, [1, 2, 3, 4])) == .deliver(.binary([1, 2, 3, 4])))
        #expect(s.receive(self.frame(.binary, [1, 2, 3], fin: false)) == .none)
        #expect(
            s.receive(self.frame(.continuation, [4, 5]))
                == .fail(NetError(.messageTooLarge, ""), sendClose: .messageTooBig)
        )
    }

    @Test func serverInitiatedClose() {
        var s = self.state()
        let info = WebSocketCloseInfo(code: WebSocketCloseCode(rawValue: 4001), reason: "bye")
        #expect(
            s.receive(self.frame(.connectionClose, self.closePayload(4001, "bye"))) == .peerClosed(info, reply: true)
        )
        #expect(!s.canSendData)
        #expect(s.receive(self.frame(.text, "after")) == .none)
    }

    @Test func closeWithoutStatus() {
        var s = self.state()
        #expect(
            s.receive(self.frame(.connectionClose, []))
                == .peerClosed(WebSocketCloseInfo(code: .noStatusReceived), reply: true)
        )
    }

    @Test func clientInitiatedClose() {
        var s = self.state()
        let first = s.closeRequested()
        let second = s.closeRequested()
        #expect(first)
        #expect(!second)
        #expect(!s.canSendData)
        // Data may still arrive until the server's close frame; pings are no longer answered.
        #expect(s.receive(self.frame(.text, "late")) == .deliver(.text("late")))
        #expect(s.receive(self.frame(.ping, "p")) == .none)
        #expect(
            s.receive(self.frame(.connectionClose, self.closePayload(1000)))
                == .peerClosed(WebSocketCloseInfo(code: .normalClosure), reply: false)
        )
    }

    @Test(arguments: [[0x03], [0x03, 0xED], [0x00, 0x00], [0x03, 0xEE], [0x03, 0xE8, 0xFF]] as [[UInt8]])
    func invalidCloseFrames(_ payload: [UInt8]) {
        var s = self.state()
        #expect(self.failureCode(s.receive(self.frame(.connectionClose, payload))) == .protocolViolation)
    }

    @Test func closeFrameReasonIsCutAtACharacterBoundary() {
        let reason = String(repeating: "é", count: 100)  // 200 bytes
        let frame = WebSocketClientHandler.closeFrame(code: .normalClosure, reason: reason, allocator: .init())
        #expect(frame.maskKey != nil)
        #expect(frame.length <= 125)
        var data = frame.data  // still unmasked: the encoder applies the key when it writes the frame
        #expect(data.readInteger(as: UInt16.self) == 1000)
        #expect(data.readString(length: data.readableBytes) == String(repeating: "é", count: 61))
    }
}
