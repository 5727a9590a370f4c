import NIOCore
import NIOHTTP1

/// Sits behind NIO's `NIOHTTPClientUpgradeHandler` during the WebSocket handshake. If the server answers with
/// anything but `101`, the upgrade handler passes the response on to this handler, which collects the status and
/// (the first 4 KiB of) the body and fails the connect call with ``NetError/Code/upgradeRefused``.
/// On a successful upgrade NIO removes this handler with the other HTTP handlers.
final class UpgradeRefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private static let bodyLimit = 4096
    private let promise: EventLoopPromise<WebSocketConnection>
    private let url: NetURL
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var upgradeError: NIOHTTPClientUpgradeError?

    init(promise: EventLoopPromise<WebSocketConnection>, url: NetURL) {
        self.promise = promise
        self.url = url
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(let part):
            self.body += part.readableBytesView.prefix(Self.bodyLimit - self.body.count)
        case .end:
            self.refused(context: context)
        }
    }

    private func refused(context: ChannelHandlerContext) {
        guard let head = self.head else { return }
        let status = Int(head.status.code)
        var message: String
        if status == 101 {
            let why =
                switch self.upgradeError {
                case .some(.upgraderDeniedUpgrade): "its Sec-WebSocket-Accept header does not match the request key"
                case .some(.responseProtocolNotFound): "it did not name `websocket` in its Upgrade header"
                default: "the response is not a valid upgrade"
                }
            message = "\(self.url) answered 101 Switching Protocols, but \(why)"
        } else {
            message = "WebSocket upgrade to \(self.url) refused: HTTP \(status) \(head.status.reasonPhrase)"
            let text = String(decoding: self.body, as: UTF8.self).trimmingSpaces
            if !text.isEmpty { message += ": \(text)" }
        }
        self.promise.fail(NetError(.upgradeRefused, message, httpStatus: status))
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOHTTPClientUpgradeError {
            // The response head follows; report the refusal when the response is complete.
            self.upgradeError = error
            return
        }
        self.promise.fail(NetError.transfer(with: self.url.authority, error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if self.head != nil {
            self.refused(context: context)  // a response delimited by the connection closing
        } else {
            self.promise.fail(
                NetError(
                    .connectionClosed,
                    "\(self.url.authority) closed the connection during the WebSocket handshake"
                )
            )
        }
        context.fireChannelInactive()
    }
}
