import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import StarlingNetClient
import StarlingProtocol

/// A bare WebSocket client: NIO's HTTP upgrade and frame codec, then a ``BareWebSocketHandler`` that hands
/// every complete message to its sink on the event loop as it is read. Both the transfer connections
/// (``TransferSink``) and the fan-out subscribers (``FanOutSink``) are built on it.
///
/// Unlike `WebSocketConnection` (an async message stream per connection, consumed by a Swift task), nothing
/// here crosses into Swift concurrency per message: a message costs its share of one socket read, the frame
/// decoder and an in-place parse, and is timestamped when the event loop reads it. The load generator shares
/// the machine with the server it measures, so its own CPU per message is kept as small as possible.
enum BareWebSocket {
    /// The upgrade's outcome, as NIO's typed client upgrader reports it.
    enum Upgrade<Installed: Sendable>: Sendable {
        case upgraded(Installed)
        case refused
    }

    /// Connects to `url` (`ws://host:port/path`) on `loop` and upgrades with the BSATN subprotocol. Once the
    /// upgrade completed, `install` runs on the loop to add the connection's handler to the pipeline (after
    /// NIO's frame decoder and encoder); what it returns is returned here.
    static func connect<Installed: Sendable>(
        url: NetURL,
        token: String,
        on loop: any EventLoop,
        timeout: TimeAmount = .seconds(30),
        install: @escaping @Sendable (any Channel) throws -> Installed
    ) async throws -> Installed {
        let upgrade = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture { () -> EventLoopFuture<Upgrade<Installed>> in
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade<Installed>>(
                        maxFrameSize: 1 << 26,
                        enableAutomaticErrorHandling: true,
                        upgradePipelineHandler: { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                let selected = response.headers["Sec-WebSocket-Protocol"].first
                                guard selected == WireFormat.bsatn.subprotocol else {
                                    throw LoadGenError("the server selected the subprotocol \(selected ?? "none")")
                                }
                                return Upgrade.upgraded(try install(channel))
                            }
                        }
                    )
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade<Installed>>(
                        upgradeRequestHead: upgradeRequest(url: url, token: token),
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeSucceededFuture(Upgrade.refused)
                        }
                    )
                    // The server's first message (IdentityToken) may come in the same read as the 101 response:
                    // forward the bytes after it to the WebSocket decoder (NIO drops them by default).
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: pipeline
                    )
                }
            }
        switch try await upgrade.get() {
        case .upgraded(let installed): return installed
        case .refused: throw LoadGenError("the server refused the WebSocket upgrade of \(url)")
        }
    }

    private static func upgradeRequest(url: NetURL, token: String) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.authority)
        headers.add(name: "Sec-WebSocket-Protocol", value: WireFormat.bsatn.subprotocol)
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "Content-Length", value: "0")
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: headers)
    }

    /// A masked client frame (the encoder masks the payload with the key).
    static func frame(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
    }

    /// Sends a binary message on `channel`.
    static func send(_ bytes: [UInt8], on channel: any Channel) async throws {
        try await channel.writeAndFlush(frame(.binary, channel.allocator.buffer(bytes: bytes))).get()
    }

    /// Sends a close frame (1000) and waits up to `timeout` for the server to close; then closes.
    static func close(_ channel: any Channel, timeout: TimeAmount = .seconds(2)) async {
        var payload = channel.allocator.buffer(capacity: 2)
        payload.writeInteger(UInt16(1000))
        channel.writeAndFlush(frame(.connectionClose, payload), promise: nil)
        let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        timer.cancel()
    }

    /// Appends one complete masked binary client frame carrying `payload` to `out`: the bytes NIO's
    /// `WebSocketFrameEncoder` would write for it, prepared ahead of time (see ``CallPool``).
    ///
    /// RFC 6455 wants an unpredictable mask key per frame (against cache poisoning of intermediaries that
    /// read the payload as HTTP); pre-encoded frames share `maskKey`, which the server only XORs away.
    static func appendBinaryFrame(_ payload: [UInt8], maskKey: [UInt8], to out: inout [UInt8]) {
        precondition(maskKey.count == 4, "a WebSocket mask key has 4 bytes")
        out.append(0x80 | UInt8(webSocketOpcode: .binary))  // FIN + opcode
        let n = payload.count
        if n <= 125 {
            out.append(0x80 | UInt8(n))
        } else if n <= Int(UInt16.max) {
            out.append(0x80 | 126)
            out += [UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out.append(0x80 | 127)
            out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(n) >> (8 * UInt64($0))) }
        }
        out += maskKey
        for (i, byte) in payload.enumerated() { out.append(byte ^ maskKey[i & 3]) }
    }
}
