import NIOCore
import NIOPosix

/// A hand-written WebSocket server that controls exactly which bytes go out and how they are split: it answers
/// the handshake and sends `frames` in the same write as the `101` response, either all at once or trickled a few
/// bytes per millisecond, so the client's decoders see every kind of split read. After that it ignores the
/// client's frames (pongs) until a close frame arrives, and then closes the connection.
final class RawWebSocketServer: Sendable {
    /// How the response and the frames are written.
    enum Delivery: Sendable {
        /// One write: the `101` response and every frame in one TCP segment.
        case coalesced
        /// `chunk` bytes per write, one write per millisecond.
        case trickled(chunk: Int)
    }

    let channel: any Channel
    var port: Int { self.channel.localAddress!.port! }

    private init(channel: any Channel) { self.channel = channel }

    /// Starts a server on 127.0.0.1 that sends `frames` (raw, unmasked frame bytes) right after the `101`.
    static func start(frames: [UInt8], delivery: Delivery) async throws -> RawWebSocketServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RawHandshakeHandler(frames: frames, delivery: delivery)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RawWebSocketServer(channel: channel)
    }

    func shutdown() async { try? await self.channel.close() }
}

private final class RawHandshakeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let frames: [UInt8]
    private let delivery: RawWebSocketServer.Delivery
    private var request: [UInt8] = []
    private var answered = false
    private var clientFrames: [UInt8] = []

    init(frames: [UInt8], delivery: RawWebSocketServer.Delivery) {
        self.frames = frames
        self.delivery = delivery
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.answered else {
            self.clientFrames += Self.unwrapInboundIn(data).readableBytesView
            if self.sawCloseFrame() { context.close(promise: nil) }
            return
        }
        self.request += Self.unwrapInboundIn(data).readableBytesView
        let text = String(decoding: self.request, as: UTF8.self)
        guard text.contains("\r\n\r\n") else { return }
        self.answered = true
        let key =
            text.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("sec-websocket-key:") }
            .map { $0.dropFirst("sec-websocket-key:".count).trimmingCharacters() } ?? ""
        let response =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(webSocketAccept(for: key))\r\n\r\n"
        self.send(Array(response.utf8) + self.frames, context: context)
    }

    /// Whether the client's frames so far include a close frame (client frames here are short, masked control frames).
    private func sawCloseFrame() -> Bool {
        var i = 0
        while i + 2 <= self.clientFrames.count {
            if self.clientFrames[i] & 0x0F == 0x8 { return true }
            i += 2 + 4 + Int(self.clientFrames[i + 1] & 0x7F)
        }
        return false
    }

    private func send(_ bytes: [UInt8], context: ChannelHandlerContext) {
        switch self.delivery {
        case .coalesced:
            context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        case .trickled(let chunk):
            let loopContext = context.loopBound
            for (i, start) in stride(from: 0, to: bytes.count, by: chunk).enumerated() {
                let piece = Array(bytes[start..<min(start + chunk, bytes.count)])
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(i))) {
                    let context = loopContext.value
                    context.writeAndFlush(
                        Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: piece)),
                        promise: nil
                    )
                }
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// `Sec-WebSocket-Accept` for a request key (RFC 6455 §4.2.2): base64(SHA-1(key + GUID)).
func webSocketAccept(for key: String) -> String {
    base64(sha1(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
}

/// SHA-1 (FIPS 180-4), for the handshake only.
func sha1(_ message: [UInt8]) -> [UInt8] {
    var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
    var bytes = message + [0x80]
    while bytes.count % 64 != 56 { bytes.append(0) }
    let bitLength = UInt64(message.count) * 8
    for shift in stride(from: 56, through: 0, by: -8) {
        bytes.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
    }
    func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
    for block in stride(from: 0, to: bytes.count, by: 64) {
        var w = [UInt32](repeating: 0, count: 80)
        for i in 0..<16 {
            let j = block + 4 * i
            w[i] =
                UInt32(bytes[j]) << 24 | UInt32(bytes[j + 1]) << 16 | UInt32(bytes[j + 2]) << 8 | UInt32(bytes[j + 3])
        }
        for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
        var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
        for i in 0..<80 {
            let (f, k): (UInt32, UInt32) =
                switch i {
                case 0..<20: ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (b ^ c ^ d, 0xCA62_C1D6)
                }
            let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
            (e, d, c, b, a) = (d, c, rotl(b, 30), a, t)
        }
        h[0] &+= a
        h[1] &+= b
        h[2] &+= c
        h[3] &+= d
        h[4] &+= e
    }
    return h.flatMap { word in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) } }
}

/// Standard base64 with padding.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    for start in stride(from: 0, to: bytes.count, by: 3) {
        let chunk = bytes[start..<min(start + 3, bytes.count)]
        let n = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
        for i in 0..<4 {
            out.append(i <= chunk.count ? alphabet[Int((n >> (18 - 6 * UInt32(i))) & 63)] : "=")
        }
    }
    return out
}
