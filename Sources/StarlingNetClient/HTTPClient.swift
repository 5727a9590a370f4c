import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client over SwiftNIO: one TCP connection per request (`Connection: close`), `http://` or `https://`
/// (TLS, checked as ``TLSOptions`` says: system trust roots plus an optional CA file, hostname verification).
///
/// ```swift
/// let response = try await HTTPClient.request("GET", url: "http://127.0.0.1:3000/v1/ping")
/// let logs = try await HTTPClient.stream("GET", url: "http://127.0.0.1:3000/v1/database/bank/logs?follow=true")
/// for try await chunk in logs.body { print(String(decoding: chunk, as: UTF8.self), terminator: "") }
/// ```
///
/// Responses may be delimited by `Content-Length`, by chunked transfer encoding, or by the server closing
/// the connection. All calls run on ``NetClient/defaultEventLoopGroup`` unless given another group.
public enum HTTPClient {
    /// The default limit on a buffered response body (256 MiB).
    public static let defaultMaxBodySize = 256 << 20

    /// Sends one request and buffers the whole response.
    ///
    /// - Parameters:
    ///   - method: The request method, e.g. "GET", "POST".
    ///   - url: `http://host[:port][/path][?query]`, or `https://` for TLS.
    ///   - headers: Extra request headers. `Host`, `Connection: close`, `User-Agent` and `Content-Length` are added
    ///     unless present.
    ///   - body: The request body, or nil for none.
    ///   - timeout: The limit for the whole exchange: connecting, sending, and receiving the complete response.
    ///   - maxBodySize: The largest response body accepted; larger bodies fail with ``NetError/Code/responseTooLarge``.
    ///   - tls: How an `https://` server is verified; ignored for `http://`.
    /// - Throws: ``NetError``; a non-2xx status is *not* an error. TLS failures have their own codes
    ///   (``NetError/Code/tlsCertificateUntrusted``, ``NetError/Code/tlsHostnameMismatch``,
    ///   ``NetError/Code/tlsHandshakeFailed``, ``NetError/Code/tlsConfiguration``).
    public static func request(
        _ method: String = "GET",
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(30),
        maxBodySize: Int = defaultMaxBodySize,
        tls: TLSOptions = .default,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws(NetError) -> HTTPResponse {
        try await self.request(
            method,
            url: NetURL(parsing: url),
            headers: headers,
            body: body,
            timeout: timeout,
            maxBodySize: maxBodySize,
            tls: tls,
            eventLoopGroup: eventLoopGroup
        )
    }

    /// Sends one request to a parsed URL and buffers the whole response; see the overload taking a `String` URL.
    public static func request(
        _ method: String = "GET",
        url: NetURL,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(30),
        maxBodySize: Int = defaultMaxBodySize,
        tls: TLSOptions = .default,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws(NetError) -> HTTPResponse {
        try await self.exchange(
            method, url: url, headers: headers, body: body, timeout: timeout, tls: tls, waitingFor: "the request to",
            eventLoopGroup: eventLoopGroup
        ) { promise, authority in
            HTTPCollectHandler(promise: promise, authority: authority, maxBodySize: maxBodySize)
        }
    }

    /// Sends one request and returns as soon as the response head arrives; the body follows as a stream.
    ///
    /// `timeout` limits connecting and waiting for the response head, not the body: a streamed body may last
    /// forever (`logs --follow`). Stop it by cancelling the consuming task, leaving the `for try await` loop,
    /// or ``HTTPStreamingResponse/cancel()``; each closes the connection. The body buffers at most
    /// `bufferedChunkLimit` chunks before the client stops reading from the socket.
    public static func stream(
        _ method: String = "GET",
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(30),
        bufferedChunkLimit: Int = 64,
        tls: TLSOptions = .default,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws(NetError) -> HTTPStreamingResponse {
        try await self.stream(
            method,
            url: NetURL(parsing: url),
            headers: headers,
            body: body,
            timeout: timeout,
            bufferedChunkLimit: bufferedChunkLimit,
            tls: tls,
            eventLoopGroup: eventLoopGroup
        )
    }

    /// Sends one request to a parsed URL and streams the response body; see the overload taking a `String` URL.
    public static func stream(
        _ method: String = "GET",
        url: NetURL,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(30),
        bufferedChunkLimit: Int = 64,
        tls: TLSOptions = .default,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws(NetError) -> HTTPStreamingResponse {
        try await self.exchange(
            method, url: url, headers: headers, body: body, timeout: timeout, tls: tls,
            waitingFor: "waiting for the response from", eventLoopGroup: eventLoopGroup
        ) { promise, authority in
            HTTPStreamHandler(promise: promise, authority: authority, bufferedChunkLimit: bufferedChunkLimit)
        }
    }

    /// Connects, sends the request and completes with what the handler `makeHandler` builds
    /// delivers through its promise (fails on timeout, which also closes the connection).
    private static func exchange<Result: Sendable, Handler: ChannelHandler>(
        _ method: String, url: NetURL, headers: [(String, String)], body: [UInt8]?, timeout: Duration, tls: TLSOptions,
        waitingFor what: String, eventLoopGroup: (any EventLoopGroup)?,
        makeHandler: @escaping @Sendable (EventLoopPromise<Result>, String) -> Handler
    ) async throws(NetError) -> Result {
        let head = try self.makeHead(method, url: url, headers: headers, bodyCount: body?.count)
        let authority = url.authority
        let eventLoop = (eventLoopGroup ?? NetClient.defaultEventLoopGroup).next()
        let deadline = NIODeadline.now() + timeout.timeAmount
        let promise = eventLoop.makePromise(of: Result.self)
        let channel = try await NetClient.connect(to: url, tls: tls, on: eventLoop, timeout: timeout, failing: promise) {
            channel in
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(makeHandler(promise, authority))
        }
        let timer = eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(NetError.timedOut(what, authority, after: timeout))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        Self.send(head, body: body, on: channel, failing: promise, authority: authority)
        return try await NetClient.await(promise.futureResult, authority: authority) {
            channel.close(promise: nil)
        }
    }

    /// Builds the request head, adding the headers the client manages.
    static func makeHead(
        _ method: String,
        url: NetURL,
        headers: [(String, String)],
        bodyCount: Int?
    ) throws(NetError) -> HTTPRequestHead {
        guard url.scheme.isHTTP else {
            throw NetError(.invalidURL, "an HTTP request needs an http:// or https:// URL, not \(url)")
        }
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw NetError(.invalidURL, "invalid HTTP method `\(method)`")
        }
        var fields = HTTPHeaders(headers)
        if !fields.contains(name: "Host") { fields.add(name: "Host", value: url.authority) }
        if !fields.contains(name: "User-Agent") { fields.add(name: "User-Agent", value: "starling-net-client") }
        fields.replaceOrAdd(name: "Connection", value: "close")
        let upper = method.uppercased()
        let needsLength = bodyCount != nil || upper == "POST" || upper == "PUT" || upper == "PATCH"
        if needsLength && !fields.contains(name: "Content-Length") && !fields.contains(name: "Transfer-Encoding") {
            fields.add(name: "Content-Length", value: String(bodyCount ?? 0))
        }
        return HTTPRequestHead(
            version: .http1_1,
            method: HTTPMethod(rawValue: method),
            uri: url.target,
            headers: fields
        )
    }

    /// Writes head, body and end, flushing once; a write failure fails `promise`.
    static func send<T>(
        _ head: HTTPRequestHead,
        body: [UInt8]?,
        on channel: any Channel,
        failing promise: EventLoopPromise<T>,
        authority: String
    ) {
        let bodyBuffer = body.map { channel.allocator.buffer(bytes: $0) }
        channel.eventLoop.execute {
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let bodyBuffer, bodyBuffer.readableBytes > 0 {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(bodyBuffer)), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { error in
                promise.fail(NetError.transfer(with: authority, error))
            }
        }
    }
}
