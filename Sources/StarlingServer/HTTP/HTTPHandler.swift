import NIOCore
import NIOHTTP1
import NIOWebSocket
import StarlingModuleHost

#if canImport(Glibc)
import Glibc
#endif

/// Serves HTTP requests on one connection: collects a request (body up to the limit), hands it
/// to ``Routes`` off the event loop, and writes the response back on it. `logs?follow=true`
/// responses stay open and stream new log lines (chunked) until the client goes away.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let ctx: ServerContext
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// The body limit of the request being read (restores take whole backups).
    private var bodyLimit = 0
    private var following: (log: ModuleLog, token: Int)?

    init(_ ctx: ServerContext) { self.ctx = ctx }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            tooLarge = false
            let restore = h.method == .POST && h.uri.split(separator: "?").first?.hasSuffix("/restore") == true
            bodyLimit = restore ? ctx.options.maxRestoreBytes : ctx.options.maxBodyBytes
        case .body(var chunk):
            guard !tooLarge else { return }
            if body.count + chunk.readableBytes > bodyLimit {
                tooLarge = true
                body = []
                return
            }
            body.append(contentsOf: chunk.readBytes(length: chunk.readableBytes) ?? [])
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                let e = HTTPError(413, "request body larger than the server's \(bodyLimit >> 20) MiB limit")
                respond(context, head, .error(e))
                return
            }
            let request = HTTPRequest(head: head, body: body)
            body = []
            let ctx = self.ctx
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let direct = Routes.serveDirectly(request, ctx, on: context.eventLoop) { response in
                // On the event loop already (from the worker's outbox, or at once for an error).
                bound.value.0.respond(bound.value.1, head, response())
            }
            if direct { return }
            Task {
                let response = await Routes.handle(request, ctx)
                bound.eventLoop.execute { bound.value.0.respond(bound.value.1, head, response) }
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ response: HTTPResponse) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        // Web pages on any origin may use the API: it authenticates with bearer tokens, not cookies.
        headers.add(name: "access-control-allow-origin", value: "*")
        if request.method == .OPTIONS {
            headers.add(name: "access-control-allow-methods", value: "GET, POST, DELETE, OPTIONS")
            headers.add(name: "access-control-allow-headers", value: "authorization, content-type")
            headers.add(name: "access-control-max-age", value: "86400")
        }
        let keepAlive = request.isKeepAlive && response.follow == nil
        if let parts = response.parts {
            headers.add(name: "content-length", value: String(parts.reduce(0) { $0 + $1.length }))
        } else if response.follow == nil {
            headers.add(name: "content-length", value: String(response.body.count))
        } else {
            headers.add(name: "transfer-encoding", value: "chunked")
        }
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let (log, lines) = response.follow {
            startFollowing(log, context, lines: lines)
            return
        }
        if let parts = response.parts {
            writeParts(parts, context)
        } else if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    /// Writes a streamed body: bytes as buffers, files as file regions (sendfile), each file
    /// closed once written (or once the write failed).
    private func writeParts(_ parts: [ResponsePart], _ context: ChannelHandlerContext) {
        for part in parts {
            switch part {
            case .bytes(let b):
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: b)))), promise: nil)
            case .file(let fd, let length) where length == 0:
                close(fd)
            case .file(let fd, let length):
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
                let region = FileRegion(fileHandle: handle, readerIndex: 0, endIndex: length)
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in try? handle.close() }
                context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: written)
            }
        }
    }

    /// Streams the last `lines` records, then every new one, until the connection closes.
    private func startFollowing(_ log: ModuleLog, _ context: ChannelHandlerContext, lines: Int) {
        let channel = context.channel
        let (initialLines, token) = log.follow(last: lines) { record in
            let line = record.formatted + "\n"
            channel.eventLoop.execute {
                let part = HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(string: line)))
                channel.writeAndFlush(part, promise: nil)
            }
        }
        following = (log, token)
        let initial = initialLines.map { $0 + "\n" }.joined()
        if !initial.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: initial)))), promise: nil)
        }
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let (log, token) = following { log.unfollow(token) }
        following = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A declined WebSocket upgrade is reported as an error, then the request comes here as
        // plain HTTP, and the route explains why it was declined.
        if error is NIOWebSocketUpgradeError { return }
        context.close(promise: nil)
    }
}
