import NIOCore
import StarlingProtocol

/// Whole WebSocket frames as the server sends its messages: final, unmasked, header and payload
/// in one buffer. They are written below NIOWebSocket's frame encoder (through
/// ``RawFrameWriter``), which would put every frame's header in a buffer of its own and cost an
/// extra pipeline step per message; a frame built once can go to any number of clients.
enum ServerFrame {
    /// A frame carrying `payload` in the frame type of `format` (text for JSON, binary for BSATN).
    static func make(_ payload: UnsafeRawBufferPointer, format: WireFormat) -> ByteBuffer {
        var buffer = start(payloadLength: payload.count, format: format)
        buffer.writeBytes(payload)
        return buffer
    }

    /// A frame carrying `payload`'s bytes.
    static func make(_ payload: [UInt8], format: WireFormat) -> ByteBuffer {
        payload.withUnsafeBytes { make($0, format: format) }
    }

    /// A buffer holding the frame header for a payload of `payloadLength` bytes, with room for it.
    private static func start(payloadLength n: Int, format: WireFormat) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: n + 10)
        buffer.writeInteger(UInt8(format == .json ? 0x81 : 0x82))  // FIN + text/binary opcode
        if n < 126 {
            buffer.writeInteger(UInt8(n))
        } else if n <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(n))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(n))
        }
        return buffer
    }
}

/// Sits right below the WebSocket frame encoder in a client's pipeline and passes writes on. Its
/// context is where ``Outbox`` writes the ready-made frames of ``ServerFrame``.
final class RawFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
