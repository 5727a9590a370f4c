import NIOCore
import NIOHTTP1

/// Collects one whole response into an ``HTTPResponse`` and closes the connection.
final class HTTPCollectHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPResponse>
    private let authority: String
    private let maxBodySize: Int
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var done = false

    init(promise: EventLoopPromise<HTTPResponse>, authority: String, maxBodySize: Int) {
        self.promise = promise
        self.authority = authority
        self.maxBodySize = maxBodySize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            let size = (self.body?.readableBytes ?? 0) + part.readableBytes
            guard size <= self.maxBodySize else {
                self.fail(
                    NetError(
                        .responseTooLarge,
                        "the response from \(self.authority) exceeds \(self.maxBodySize) bytes"
                    ),
                    context: context
                )
                return
            }
            if self.body == nil { self.body = part } else { self.body!.writeBuffer(&part) }
        case .end:
            guard let head = self.head else {
                self.fail(NetError(.malformedResponse, "\(self.authority) sent no response head"), context: context)
                return
            }
            self.done = true
            let bytes = self.body.map { Array($0.readableBytesView) } ?? []
            self.promise.succeed(
                HTTPResponse(
                    status: Int(head.status.code),
                    reason: head.status.reasonPhrase,
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: bytes
                )
            )
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(NetError.transfer(with: self.authority, error), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(
            NetError(.connectionClosed, "\(self.authority) closed the connection before the response was complete"),
            context: context
        )
        context.fireChannelInactive()
    }

    private func fail(_ error: NetError, context: ChannelHandlerContext) {
        guard !self.done else { return }
        self.done = true
        self.promise.fail(error)
        context.close(promise: nil)
    }
}

/// Hands the response head to the caller as soon as it arrives and streams the body through an
/// ``InboundFlow``, pausing socket reads while the consumer is behind.
final class HTTPStreamHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let promise: EventLoopPromise<HTTPStreamingResponse>
    private let authority: String
    private let bufferedChunkLimit: Int
    private var flow: InboundFlow<[UInt8]>?
    private var headDelivered = false
    private var cancelledLocally = false
    private var ended = false

    init(promise: EventLoopPromise<HTTPStreamingResponse>, authority: String, bufferedChunkLimit: Int) {
        self.promise = promise
        self.authority = authority
        self.bufferedChunkLimit = max(2, bufferedChunkLimit)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.ended else { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            guard !self.headDelivered else { return }
            self.deliver(head, context: context)
        case .body(let part):
            self.flow?.append(Array(part.readableBytesView))
        case .end:
            self.ended = true
            self.flow?.finish()
            context.close(promise: nil)
        }
    }

    private func deliver(_ head: HTTPResponseHead, context: ChannelHandlerContext) {
        let (flow, stream) = InboundFlow<[UInt8]>.make(
            on: context.eventLoop,
            lowWatermark: self.bufferedChunkLimit / 2,
            highWatermark: self.bufferedChunkLimit
        )
        flow.attach(context)
        flow.onConsumerGone = { context in context.close(promise: nil) }
        self.flow = flow
        self.headDelivered = true
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        let channel = context.channel
        self.promise.succeed(
            HTTPStreamingResponse(
                status: Int(head.status.code),
                reason: head.status.reasonPhrase,
                headers: head.headers.map { ($0.name, $0.value) },
                body: stream,
                cancelAction: {
                    this.eventLoop.execute {
                        this.value.cancelledLocally = true
                        channel.close(promise: nil)
                    }
                }
            )
        )
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flow?.flush()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if let flow = self.flow { flow.read(context: context) } else { context.read() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let stoppedLocally = self.cancelledLocally || self.flow?.consumerGone == true
        self.end(with: stoppedLocally ? nil : NetError.transfer(with: self.authority, error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = NetError(
            .connectionClosed,
            "\(self.authority) closed the connection before the response was complete"
        )
        self.end(with: self.cancelledLocally || self.flow?.consumerGone == true ? nil : error)
        context.fireChannelInactive()
    }

    private func end(with error: NetError?) {
        guard !self.ended else { return }
        self.ended = true
        if let flow = self.flow {
            flow.finish(error)
        } else {
            self.promise.fail(error ?? NetError(.cancelled, "the request to \(self.authority) was cancelled"))
        }
    }
}
