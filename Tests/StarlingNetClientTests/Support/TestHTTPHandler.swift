import NIOCore
import NIOHTTP1
import Synchronization

/// The test server's HTTP routes:
/// - `GET /hello`: `hello` with Content-Length.
/// - `* /echo[?q]`: the request body back, with `x-method` and `x-target` headers.
/// - `GET /chunked`: `alpha-beta-gamma` in three chunks (Transfer-Encoding: chunked).
/// - `GET /eof`: an HTTP/1.0 response whose body ends when the server closes the connection.
/// - `GET /stream`: `tick N\n` every 10 ms, chunked, until the client goes away.
/// - `GET /slow`: never answers.
/// - `GET /flood`: 400 chunks of 64 KiB (25 MiB); counts a completed flood when the last was written.
/// - anything else: 404 `database `NAME` not found` (NAME = third path component) or `not found`.
final class TestHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: TestServer
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var ticker: RepeatedTask?
    private var streaming = false

    init(server: TestServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
        case .body(var part):
            self.body.writeBuffer(&part)
        case .end:
            guard let head = self.head else { return }
            self.route(head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.ticker?.cancel()
        if self.streaming { self.server.observations.withLock { $0.streamsClosed += 1 } }
        context.fireChannelInactive()
    }

    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch path {
        case "/hello":
            self.respond(context, head, body: head.method == .HEAD ? nil : Array("hello".utf8), length: 5)
        case "/echo":
            let extra = [("x-method", head.method.rawValue), ("x-target", head.uri)]
            self.respond(context, head, body: Array(self.body.readableBytesView), extra: extra)
        case "/chunked":
            self.chunked(context, parts: ["alpha-", "beta-", "gamma"])
        case "/eof":
            var headers = HTTPHeaders()
            headers.add(name: "Connection", value: "close")
            context.write(
                Self.wrapOutboundOut(.head(.init(version: .http1_0, status: .ok, headers: headers))),
                promise: nil
            )
            let buffer = context.channel.allocator.buffer(string: "until the end")
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.flush()
            context.close(promise: nil)
        case "/stream":
            self.startTicking(context)
        case "/slow":
            break
        case "/flood":
            self.flood(context)
        default:
            let parts = path.split(separator: "/")
            let text = parts.count >= 3 && parts[1] == "database" ? "database `\(parts[2])` not found" : "not found"
            self.respond(context, head, status: .notFound, body: Array(text.utf8))
        }
    }

    private func respond(
        _ context: ChannelHandlerContext,
        _ request: HTTPRequestHead,
        status: HTTPResponseStatus = .ok,
        body: [UInt8]?,
        length: Int? = nil,
        extra: [(String, String)] = []
    ) {
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Length", value: String(length ?? body?.count ?? 0))
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            Self.wrapOutboundOut(.head(.init(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        if let body, !body.isEmpty {
            context.write(
                Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
                promise: nil
            )
        }
        let done = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    private func chunked(_ context: ChannelHandlerContext, parts: [String]) {
        context.write(Self.wrapOutboundOut(.head(.init(version: .http1_1, status: .ok))), promise: nil)
        for part in parts {
            // Flush each part separately so they travel as separate chunks.
            let buffer = context.channel.allocator.buffer(string: part)
            context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func flood(_ context: ChannelHandlerContext) {
        context.write(Self.wrapOutboundOut(.head(.init(version: .http1_1, status: .ok))), promise: nil)
        let chunk = context.channel.allocator.buffer(repeating: 0x41, count: 65536)
        for _ in 0..<400 { context.write(Self.wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil) }
        let server = self.server
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenSuccess {
            server.observations.withLock { $0.floodsCompleted += 1 }
        }
    }

    private func startTicking(_ context: ChannelHandlerContext) {
        self.streaming = true
        context.writeAndFlush(Self.wrapOutboundOut(.head(.init(version: .http1_1, status: .ok))), promise: nil)
        let counter = NIOLoopBoundBox(0, eventLoop: context.eventLoop)
        let loopContext = context.loopBound
        self.ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { _ in
            let context = loopContext.value
            let buffer = context.channel.allocator.buffer(string: "tick \(counter.value)\n")
            counter.value += 1
            context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
    }
}
