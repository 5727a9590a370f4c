import NIOCore
import NIOEmbedded
import NIOWebSocket
import StarlingProtocol
import Testing

@testable import StarlingServer

/// The frames the server builds itself (header and payload in one buffer) must be what NIO's own
/// decoder, and so any client, reads: each length form, both frame types.
@Suite struct ServerFrameTests {
    @Test(arguments: [0, 1, 125, 126, 200, 65_535, 65_536, 70_000])
    func framesDecodeWithNIOsDecoder(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for format in [WireFormat.bsatn, .json] {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
            try channel.writeInbound(ServerFrame.make(payload, format: format))
            let frame = try #require(try channel.readInbound(as: WebSocketFrame.self))
            #expect(frame.fin)
            #expect(frame.opcode == (format == .json ? .text : .binary))
            #expect(frame.maskKey == nil)
            #expect(Array(buffer: frame.data) == payload)
            #expect(try channel.readInbound(as: WebSocketFrame.self) == nil, "one frame, nothing left over")
            _ = try channel.finish()
        }
    }

    /// Frames appended one after another into one buffer (a client's replies of a batch) decode in order.
    @Test func framesAppendedToOneBufferDecodeInOrder() throws {
        let lengths = [0, 5, 125, 126, 300, 65_535, 65_536, 3]
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        for (i, n) in lengths.enumerated() {
            let payload = [UInt8](repeating: UInt8(i), count: n)
            payload.withUnsafeBytes { ServerFrame.append($0, format: i % 2 == 0 ? .bsatn : .json, to: &buffer) }
        }
        #expect(buffer.readableBytes == lengths.reduce(0) { $0 + ServerFrame.size(payloadLength: $1) })
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        try channel.writeInbound(buffer)
        for (i, n) in lengths.enumerated() {
            let frame = try #require(try channel.readInbound(as: WebSocketFrame.self))
            #expect(frame.opcode == (i % 2 == 0 ? .binary : .text))
            #expect(Array(buffer: frame.data) == [UInt8](repeating: UInt8(i), count: n))
        }
        #expect(try channel.readInbound(as: WebSocketFrame.self) == nil)
        _ = try channel.finish()
    }

    @Test func headerSizesAreMinimal() {
        #expect(ServerFrame.make([UInt8](repeating: 0, count: 125), format: .bsatn).readableBytes == 125 + 2)
        #expect(ServerFrame.make([UInt8](repeating: 0, count: 126), format: .bsatn).readableBytes == 126 + 4)
        #expect(ServerFrame.make([UInt8](repeating: 0, count: 65_536), format: .bsatn).readableBytes == 65_536 + 10)
    }
}
