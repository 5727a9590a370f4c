import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Opens WebSocket connections (RFC 6455) over TCP (`ws://`) or TLS (`wss://`, verified as ``TLSOptions`` says)
/// with SwiftNIO's HTTP upgrade machinery.
///
/// ```swift
/// let ws = try await WebSocketClient.connect(
///     url: "ws://127.0.0.1:3000/v1/database/bank/subscribe", subprotocol: "v1.json.starling")
/// try await ws.send(text: #"{"Subscribe": ...}"#)
/// for try await message in ws.messages { ... }
/// ```
public enum WebSocketClient {
    /// Connects and performs the opening handshake.
    ///
    /// - Parameters:
    ///   - url: `ws://host[:port]/path[?query]`, or `wss://` for TLS.
    ///   - subprotocol: The subprotocol to request (`Sec-WebSocket-Protocol`), e.g. `v1.bsatn.starling`. The
    ///     connection fails with ``NetError/Code/subprotocolMismatch`` unless the server selects exactly this one
    ///     (or none was requested and the server selects none).
    ///   - headers: Extra request headers, e.g. `Authorization`. Handshake headers are managed by the client.
    ///   - maxFrameSize: The largest frame accepted from the server; larger frames fail the connection (close 1009).
    ///   - maxMessageSize: The largest reassembled message accepted from the server.
    ///   - bufferedMessageLimit: How many unconsumed messages are buffered before the client stops reading.
    ///   - timeout: The limit for connecting and the handshakes (TLS and WebSocket).
    ///   - tls: How a `wss://` server is verified; ignored for `ws://`.
    /// - Throws: ``NetError``; ``NetError/Code/upgradeRefused`` (with ``NetError/httpStatus``) when the server
    ///   answers with anything but `101 Switching Protocols`; the `tls...` codes when TLS fails.
    public static func connect(
        url: String,
        subprotocol: String? = nil,
        headers: [(String, String)] = [],
        maxFrameSize: Int = 16 << 20,
        maxMessageSize: Int = 64 << 20,
        bufferedMessageLimit: Int = 1024,
        timeout: Duration = .seconds(10),
        tls: TLSOptions = .default,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws(NetError) -> WebSocketConnection {
        let url = try NetURL(parsing: url)
        guard !url.scheme.isHTTP else {
            throw NetError(
                .invalidURL,
                "a WebSocket URL starts with ws:// or wss://, not `\(url.scheme.rawValue)://` (\(url))"
            )
        }
        let options = Options(
            url: url,
            subprotocol: subprotocol,
            maxFrameSize: min(maxFrameSize, Int(UInt32.max)),
            maxMessageSize: maxMessageSize,
            bufferedMessageLimit: bufferedMessageLimit
        )
        let eventLoop = (eventLoopGroup ?? NetClient.defaultEventLoopGroup).next()
        let deadline = NIODeadline.now() + timeout.timeAmount
        let promise = eventLoop.makePromise(of: WebSocketConnection.self)
        let channel = try await NetClient.connect(to: url, tls: tls, on: eventLoop, timeout: timeout, failing: promise) {
            channel in
            try Self.configureHandshake(on: channel, options: options, promise: promise)
        }
        let authority = url.authority
        let timer = eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(NetError.timedOut("the WebSocket handshake with", authority, after: timeout))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        channel.closeFuture.whenComplete { _ in
            promise.fail(
                NetError(.connectionClosed, "\(authority) closed the connection during the WebSocket handshake")
            )
        }
        let head = Self.requestHead(options: options, headers: headers)
        channel.eventLoop.execute {
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { error in
                promise.fail(NetError.transfer(with: authority, error))
            }
        }
        return try await NetClient.await(promise.futureResult, authority: authority) { channel.close(promise: nil) }
    }

    /// What the handshake needs to know, all `Sendable`.
    struct Options: Sendable {
        var url: NetURL
        var subprotocol: String?
        var maxFrameSize: Int
        var maxMessageSize: Int
        var bufferedMessageLimit: Int
    }

    static func requestHead(options: Options, headers: [(String, String)]) -> HTTPRequestHead {
        let managed: Set<String> = [
            "host", "connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol",
            "content-length", "transfer-encoding",
        ]
        var fields = HTTPHeaders()
        fields.add(name: "Host", value: options.url.authority)
        if let subprotocol = options.subprotocol { fields.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
        for (name, value) in headers where !managed.contains(name.lowercased()) { fields.add(name: name, value: value) }
        if !fields.contains(name: "User-Agent") { fields.add(name: "User-Agent", value: "starling-net-client") }
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: options.url.target, headers: fields)
    }

    /// Sets up HTTP encoding/decoding, the upgrade handler, and a handler that reports a refused upgrade.
    /// On `101`, NIO swaps the HTTP handlers for WebSocket frame codecs and calls `upgraded`.
    static func configureHandshake(
        on channel: any Channel,
        options: Options,
        promise: EventLoopPromise<WebSocketConnection>
    ) throws {
        let encoder = HTTPRequestEncoder()
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        let refusal = UpgradeRefusalHandler(promise: promise, url: options.url)
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: options.maxFrameSize, automaticErrorHandling: true) {
            channel,
            response in
            channel.eventLoop.makeCompletedFuture {
                do {
                    promise.succeed(try Self.upgraded(channel: channel, response: response, options: options))
                } catch {
                    promise.fail(error)
                    channel.close(promise: nil)
                }
            }
        }
        let upgradeHandler = NIOHTTPClientUpgradeHandler(
            upgraders: [upgrader],
            httpHandlers: [encoder, decoder, refusal],
            upgradeCompletionHandler: { _ in }
        )
        try channel.pipeline.syncOperations.addHandlers([encoder, decoder, upgradeHandler, refusal])
    }

    /// Checks the negotiated subprotocol and installs the connection's handler. Runs on the event loop.
    private static func upgraded(
        channel: any Channel,
        response: HTTPResponseHead,
        options: Options
    ) throws(NetError) -> WebSocketConnection {
        let selected = response.headers["Sec-WebSocket-Protocol"].first?.trimmingSpaces
        guard selected == options.subprotocol else {
            let requested = options.subprotocol.map { "`\($0)`" } ?? "none"
            let got = selected.map { "`\($0)`" } ?? "none"
            throw NetError(
                .subprotocolMismatch,
                "\(options.url) selected the WebSocket subprotocol \(got), but the client requested \(requested)"
            )
        }
        let shared = WebSocketSharedState()
        let handler = WebSocketClientHandler(
            eventLoop: channel.eventLoop,
            authority: options.url.authority,
            maxMessageSize: options.maxMessageSize,
            bufferedMessageLimit: options.bufferedMessageLimit,
            shared: shared
        )
        do {
            try channel.pipeline.syncOperations.addHandler(handler)
        } catch {
            throw NetError.transfer(with: options.url.authority, error)
        }
        return WebSocketConnection(
            url: options.url,
            subprotocol: selected,
            channel: channel,
            handler: handler,
            shared: shared
        )
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = self.lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
