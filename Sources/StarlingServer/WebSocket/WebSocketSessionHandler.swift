import NIOCore
import NIOWebSocket
import StarlingProtocol
import StarlingTypes

/// Who a WebSocket connection is, decided when its upgrade request was accepted.
struct SessionIdentity: Sendable {
    var database: DatabaseHost
    var identity: Identity
    var token: String
    var format: WireFormat
    /// `?confirmed=true`: updates only once their transaction is durable.
    var confirmed: Bool
}

/// One client's WebSocket after the upgrade. Decodes frames on the event loop, collects the
/// messages of one read batch and hands them to the database's worker as one job when the
/// batch ends (`channelReadComplete`). Replies come back through the client's ``ClientOutlet``.
final class WebSocketSessionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: SessionIdentity
    private let connectionId: ConnectionId
    private var outlet: ClientOutlet?
    private var pending: [ClientMessage] = []

    private let maxMessageBytes: Int

    init(_ session: SessionIdentity, maxMessageBytes: Int) {
        self.session = session
        self.maxMessageBytes = maxMessageBytes
        connectionId = .random()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let frames = try? context.pipeline.syncOperations.context(handlerType: RawFrameWriter.self) else {
            context.close(promise: nil)  // the server always adds one; without it nothing could be sent
            return
        }
        let outlet = ClientOutlet(channel: context.channel, frames: frames, format: session.format)
        self.outlet = outlet
        session.database.connect(
            outlet, identity: session.identity, token: session.token, connectionId: connectionId, confirmed: session.confirmed)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if outlet?.isClosing == true {
            // Closing: only the client's close frame matters now.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        switch frame.opcode {
        case .text, .binary:
            if (frame.opcode == .text) != (session.format == .json) {
                let want = session.format == .json ? "text (JSON)" : "binary (BSATN)"
                refuse(.unacceptableData, "this connection speaks \(session.format.subprotocol): send \(want) frames")
                return
            }
            let decoded = frame.unmaskedData.withUnsafeReadableBytes { bytes in
                Result { () throws(ProtocolError) -> ClientMessage in
                    session.format == .json ? try ClientMessage.decode(json: bytes) : try ClientMessage.decode(bsatn: bytes)
                }
            }
            switch decoded {
            case .success(let m): pending.append(m)
            case .failure(let e): refuse(.dataInconsistentWithMessage, e.message)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            outlet?.answerClose(code: data.readWebSocketErrorCode() ?? .normalClosure)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !pending.isEmpty {
            session.database.handle(pending, from: connectionId)
            pending.removeAll(keepingCapacity: true)
        }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        outlet?.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.database.disconnect(connectionId)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if outlet?.isClosing == true { return }
        switch error {
        case NIOWebSocketError.invalidFrameLength, is NIOWebSocketFrameAggregator.Error:
            refuse(.messageTooLarge, "message larger than the server's limit of \(maxMessageBytes) bytes")
        case let e as NIOWebSocketError:
            refuse(.protocolError, "WebSocket protocol error: \(e)")
        default:
            context.close(promise: nil)
        }
    }

    /// Sends what was accepted so far, then closes with `code` and a reason.
    private func refuse(_ code: WebSocketErrorCode, _ reason: String) {
        if !pending.isEmpty {
            session.database.handle(pending, from: connectionId)
            pending.removeAll()
        }
        outlet?.close(code: code, reason: reason)
    }
}
