import NIOCore
import StarlingProtocol

/// Whole WebSocket frames as the server sends its messages: final, unmasked, header and payload
/// in one buffer. They are written below NIOWebSocket's frame encoder (through
/// ``RawFrameWriter``), which would put every frame's header in a buffer of its own and cost an
/// extra pipeline step per message; a frame built once can go to any number of clients.
enum ServerFrame {
    /// A frame carrying `payload` in the frame type of `format` (text for JSON, binary for BSATN),
    /// in a buffer of at least `capacity` bytes (room for more frames after it).
    static func make(_ payload: UnsafeRawBufferPointer, format: WireFormat, capacity: Int = 0) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: max(capacity, size(payloadLength: payload.count)))
        append(payload, format: format, to: &buffer)
        return buffer
    }

    /// A frame carrying `payload`'s bytes.
    static func make(_ payload: [UInt8], format: WireFormat) -> ByteBuffer {
        payload.withUnsafeBytes { make($0, format: format) }
    }

    /// The size of the frame for a payload of `n` bytes: the header, then the payload.
    static func size(payloadLength n: Int) -> Int {
        n + (n < 126 ? 2 : n <= Int(UInt16.max) ? 4 : 10)
    }

    /// Appends a frame carrying `payload` to `buffer`.
    static func append(_ payload: UnsafeRawBufferPointer, format: WireFormat, to buffer: inout ByteBuffer) {
        let n = payload.count
        let total = size(payloadLength: n)
        // One buffer operation for the whole frame (each NIO write call has its own checks).
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { out in
            out[0] = format == .json ? 0x81 : 0x82  // FIN + text/binary opcode
            if n < 126 {
                out[1] = UInt8(n)
            } else if n <= Int(UInt16.max) {
                out[1] = 126
                out.storeBytes(of: UInt16(n).bigEndian, toByteOffset: 2, as: UInt16.self)
            } else {
                out[1] = 127
                out.storeBytes(of: UInt64(n).bigEndian, toByteOffset: 2, as: UInt64.self)
            }
            if n > 0 { (out.baseAddress! + (total - n)).copyMemory(from: payload.baseAddress!, byteCount: n) }
            return total
        }
    }
}

/// Sits right below the WebSocket frame encoder in a client's pipeline and passes writes on. Its
/// context is where ``Outbox`` writes the ready-made frames of ``ServerFrame``.
final class RawFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
