import NIOCore
import NIOWebSocket
import Synchronization

/// The test server's WebSocket behaviour: echoes text and binary frames (unmasked, as a server must), answers a
/// client's close frame with the same code, and obeys text commands:
/// - `cmd:close:CODE:REASON`: sends a close frame and waits for the client's.
/// - `cmd:fragments`: sends `Hello, world` as three text fragments with a ping in between, then binary
///   `[1, 2, 3]` as two fragments.
/// - `cmd:ping`: sends a ping `abc`; when the pong comes back, sends the text `pong:abc`.
/// - `cmd:flood:N`: sends `m0` ... `m(N-1)` with one flush.
/// - `cmd:flood-big:N:SIZE`: sends N binary frames of SIZE bytes; counts a completed flood when all were written.
/// - `cmd:drop`: closes the TCP connection without a close frame.
/// - `cmd:badutf8`: sends a text frame that is not UTF-8.
final class TestWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let server: TestServer
    private var closeSent = false

    init(server: TestServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.server.observations.withLock {
            $0.framesReceived += 1
            if frame.maskKey == nil { $0.unmaskedFrames += 1 }
        }
        let payload = frame.unmaskedData
        switch frame.opcode {
        case .text:
            let text = String(buffer: payload)
            if text.hasPrefix("cmd:") {
                self.command(text.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false), context)
            } else {
                self.send(.text, payload, context)
            }
        case .binary:
            self.send(.binary, payload, context)
        case .pong:
            let text = String(buffer: payload)
            self.server.observations.withLock { $0.pongs.append(text) }
            if text == "abc" { self.send(.text, context.channel.allocator.buffer(string: "pong:abc"), context) }
        case .connectionClose:
            var payload = payload
            let code = payload.readInteger(as: UInt16.self) ?? 1005
            let reason = payload.readString(length: payload.readableBytes) ?? ""
            self.server.observations.withLock { $0.closeFrames.append((code, reason)) }
            if self.closeSent {
                context.close(promise: nil)
            } else {
                self.sendClose(code: code, reason: "", context).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        default:
            break
        }
    }

    private func command(_ parts: [Substring], _ context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        switch parts.first {
        case "close":
            let code = UInt16(parts[1])!
            _ = self.sendClose(code: code, reason: String(parts[2]), context)
        case "fragments":
            self.send(.text, allocator.buffer(string: "Hel"), context, fin: false)
            self.send(.ping, allocator.buffer(string: "mid"), context)
            self.send(.continuation, allocator.buffer(string: "lo, "), context, fin: false)
            self.send(.continuation, allocator.buffer(string: "world"), context)
            self.send(.binary, allocator.buffer(bytes: [1, 2]), context, fin: false)
            self.send(.continuation, allocator.buffer(bytes: [3]), context)
        case "ping":
            self.send(.ping, allocator.buffer(string: "abc"), context)
        case "flood":
            for i in 0..<Int(parts[1])! {
                let frame = WebSocketFrame(fin: true, opcode: .text, data: allocator.buffer(string: "m\(i)"))
                context.write(Self.wrapOutboundOut(frame), promise: nil)
            }
            context.flush()
        case "flood-big":
            self.floodBig(count: Int(parts[1])!, size: Int(parts[2])!, context)
        case "drop":
            context.close(promise: nil)
        case "badutf8":
            self.send(.text, allocator.buffer(bytes: [0xC3, 0x28]), context)
        default:
            self.send(.text, allocator.buffer(string: "unknown command"), context)
        }
    }

    private func floodBig(count: Int, size: Int, _ context: ChannelHandlerContext) {
        let payload = context.channel.allocator.buffer(repeating: 0x5A, count: size)
        let server = self.server
        for i in 0..<count {
            let frame = WebSocketFrame(fin: true, opcode: .binary, data: payload)
            let promise: EventLoopPromise<Void>? = i == count - 1 ? context.eventLoop.makePromise() : nil
            context.write(Self.wrapOutboundOut(frame), promise: promise)
            promise?.futureResult.whenSuccess { server.observations.withLock { $0.floodsCompleted += 1 } }
        }
        context.flush()
    }

    private func send(_ opcode: WebSocketOpcode, _ data: ByteBuffer, _ context: ChannelHandlerContext, fin: Bool = true)
    {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, data: data)
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    private func sendClose(code: UInt16, reason: String, _ context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        self.closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        if code != 1005 {
            data.writeInteger(code)
            data.writeString(reason)
        }
        return context.writeAndFlush(
            Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        )
    }
}
