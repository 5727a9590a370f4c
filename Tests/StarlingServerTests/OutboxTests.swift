import NIOCore
import NIOEmbedded
import NIOWebSocket
import StarlingProtocol
import Synchronization
import Testing

@testable import StarlingServer

/// The worker's outbox: frames grouped per client as they are queued, written in order, one
/// flush per client per batch, and the queued-byte counts that cut off slow consumers.
@Suite struct OutboxTests {
    /// `n` clients on one embedded event loop, each with the frame writer in its pipeline.
    private static func clients(_ n: Int, on loop: EmbeddedEventLoop) throws -> [(ClientOutlet, EmbeddedChannel)] {
        try (0..<n).map { _ in
            let channel = EmbeddedChannel(loop: loop)
            let writer = RawFrameWriter()
            try channel.pipeline.syncOperations.addHandler(writer)
            let context = try channel.pipeline.syncOperations.context(handler: writer)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            return (ClientOutlet(channel: channel, frames: context, format: .bsatn), channel)
        }
    }

    private static func frame(_ tag: UInt8, _ length: Int = 10) -> ByteBuffer {
        ServerFrame.make([UInt8](repeating: tag, count: length), format: .bsatn)
    }

    /// Everything written to `channel`, frame by frame (the first payload byte of each).
    private static func written(_ channel: EmbeddedChannel) throws -> [UInt8] {
        try writes(channel).flatMap { $0 }
    }

    /// Each write to `channel`: the first payload byte of each frame in it.
    private static func writes(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            var tags: [UInt8] = []
            while buffer.readableBytes > 0 {
                let opcode: UInt8 = buffer.readInteger()!
                #expect(opcode == 0x82)
                let short: UInt8 = buffer.readInteger()!
                let length = short == 126 ? Int(buffer.readInteger(as: UInt16.self)!) : Int(short)
                let payload = buffer.readBytes(length: length)!
                tags.append(payload[0])
            }
            result.append(tags)
        }
        return result
    }

    private static func payload(_ tag: UInt8, _ length: Int = 10) -> [UInt8] { [UInt8](repeating: tag, count: length) }

    @Test func framesReachTheirClientsInOrderAndCountsDrop() throws {
        let loop = EmbeddedEventLoop()
        let c = try Self.clients(3, on: loop)
        var outbox = Outbox(maxQueuedBytes: 1 << 20)
        for batch in 0..<2 {
            let base = UInt8(batch * 10)
            #expect(outbox.isEmpty)
            let queued = [
                outbox.send(Self.frame(base + 1), to: c[0].0), outbox.send(Self.frame(base + 2), to: c[1].0),
                outbox.send(Self.frame(base + 3), to: c[0].0), outbox.send(Self.frame(base + 4), to: c[0].0),
                outbox.send(Self.frame(base + 5, 300), to: c[2].0),
            ]
            #expect(queued.allSatisfy { $0 })
            let ran = NIOLoopBoundBox(false, eventLoop: loop)
            outbox.run(on: loop) { ran.value = true }
            outbox.flush()
            // Counted when the batch is handed over, until the socket takes the bytes.
            #expect(c[0].0.queuedBytes.load(ordering: .relaxed) == 36)
            #expect(c[2].0.queuedBytes.load(ordering: .relaxed) == 304)
            #expect(outbox.isEmpty)
            #expect(try Self.written(c[0].1).isEmpty, "nothing is written before the event loop runs")
            loop.run()
            #expect(ran.value)
            #expect(try Self.written(c[0].1) == [base + 1, base + 3, base + 4])
            #expect(try Self.written(c[1].1) == [base + 2])
            #expect(try Self.written(c[2].1) == [base + 5])
            for (outlet, _) in c { #expect(outlet.queuedBytes.load(ordering: .relaxed) == 0) }
        }
        for (_, channel) in c { _ = try channel.finish() }
    }

    /// A client's own frames (replies) share one buffer per batch; a shared frame between them
    /// keeps its place, and own frames after it start a new buffer.
    @Test func ownFramesShareABufferAndKeepTheirOrderAroundSharedOnes() throws {
        let loop = EmbeddedEventLoop()
        let c = try Self.clients(2, on: loop)
        var outbox = Outbox(maxQueuedBytes: 1 << 20)
        let shared = Self.frame(50)
        var ok = true
        for tag: UInt8 in [1, 2, 3] { ok = ok && Self.payload(tag).withUnsafeBytes { outbox.send(payload: $0, format: .bsatn, to: c[0].0) } }
        ok = ok && outbox.send(shared, to: c[0].0) && outbox.send(shared, to: c[1].0)
        for tag: UInt8 in [4, 5] { ok = ok && Self.payload(tag, 200).withUnsafeBytes { outbox.send(payload: $0, format: .bsatn, to: c[0].0) } }
        ok = ok && Self.payload(6).withUnsafeBytes { outbox.send(payload: $0, format: .bsatn, to: c[1].0) }
        #expect(ok)
        outbox.flush()
        #expect(c[0].0.queuedBytes.load(ordering: .relaxed) == 3 * 12 + 12 + 2 * 204)
        loop.run()
        #expect(try Self.writes(c[0].1) == [[1, 2, 3], [50], [4, 5]])
        #expect(try Self.writes(c[1].1) == [[50], [6]])
        for (outlet, _) in c { #expect(outlet.queuedBytes.load(ordering: .relaxed) == 0) }
        for (_, channel) in c { _ = try channel.finish() }
    }

    @Test func aClientTooFarBehindIsClosedAndGetsNothingMore() throws {
        let loop = EmbeddedEventLoop()
        let c = try Self.clients(1, on: loop)
        var outbox = Outbox(maxQueuedBytes: 100)
        var sent = outbox.send(Self.frame(1, 60), to: c[0].0)
        #expect(sent)
        sent = outbox.send(Self.frame(2, 60), to: c[0].0)
        #expect(!sent, "past the limit")
        #expect(c[0].0.isClosing)
        sent = outbox.send(Self.frame(3, 1), to: c[0].0)
        #expect(!sent, "closing: dropped")
        outbox.flush()
        loop.run()
        // The close (queued when the limit was passed) goes out first, then what was queued before.
        let close = try c[0].1.readOutbound(as: WebSocketFrame.self)
        #expect(close?.opcode == .connectionClose)
        var reason = close?.data
        #expect(reason?.readWebSocketErrorCode() == WebSocketErrorCode.policyViolation)
        #expect(try Self.written(c[0].1) == [1])
        _ = try? c[0].1.finish()
    }

    /// Bytes of earlier batches the socket has not taken yet count against the limit too.
    @Test func theLimitCountsEarlierBatchesNotYetWritten() throws {
        let loop = EmbeddedEventLoop()
        let c = try Self.clients(1, on: loop)
        var outbox = Outbox(maxQueuedBytes: 100)
        var sent = outbox.send(Self.frame(1, 60), to: c[0].0)
        #expect(sent)
        outbox.flush()  // handed over, not written yet: the event loop has not run
        #expect(c[0].0.queuedBytes.load(ordering: .relaxed) == 62)
        sent = outbox.send(Self.frame(2, 60), to: c[0].0)
        #expect(!sent, "62 queued + 62 more is past the limit")
        #expect(c[0].0.isClosing)
        loop.run()
        _ = try? c[0].1.finish()
    }

    /// A group's frame reaches every open client of it but the skipped one, after what was queued
    /// for them before it and before what is queued after it, in one batch.
    @Test func aGroupKeepsItsPlaceAmongEachClientsFrames() throws {
        let loop = EmbeddedEventLoop()
        let c = try Self.clients(4, on: loop)
        var outbox = Outbox(maxQueuedBytes: 1 << 20)
        var ok = outbox.send(Self.frame(1), to: c[0].0)
        ok = ok && Self.payload(2).withUnsafeBytes { outbox.send(payload: $0, format: .bsatn, to: c[1].0) }
        c[3].0.close(code: .goingAway, reason: "")
        outbox.send(groups: [Outbox.Group(frame: Self.frame(50), outlets: c.map(\.0), loop: loop)], except: c[2].0)
        ok = ok && outbox.send(Self.frame(3), to: c[0].0)
        ok = ok && Self.payload(4).withUnsafeBytes { outbox.send(payload: $0, format: .bsatn, to: c[2].0) }
        #expect(ok)
        guard let sealed = outbox.seal() else { throw TestFailure("nothing sealed") }
        #expect(outbox.isEmpty)
        sealed.deliver()
        loop.run()
        #expect(try Self.writes(c[0].1) == [[1], [50], [3]])
        #expect(try Self.writes(c[1].1) == [[2], [50]])
        #expect(try Self.writes(c[2].1) == [[4]], "the skipped client gets only its own frame")
        for (outlet, _) in c { #expect(outlet.queuedBytes.load(ordering: .relaxed) == 0) }
        _ = try c[0].1.finish()
        _ = try c[1].1.finish()
        _ = try c[2].1.finish()
        _ = try? c[3].1.finish()
    }

    /// The event loop checks each group member's limit as it writes: one too far behind is closed
    /// and skipped; one whose channel is backed up counts the frame until its write completes.
    @Test func groupMembersAreHeldToTheirLimit() throws {
        let loop = EmbeddedEventLoop()
        let c = try Self.clients(3, on: loop)
        var outbox = Outbox(maxQueuedBytes: 100)
        c[0].0.queuedBytes.store(60, ordering: .relaxed)  // as if 60 bytes were still in its socket's queue
        c[1].0.writabilityChanged(false)
        outbox.send(groups: [Outbox.Group(frame: Self.frame(50, 60), outlets: c.map(\.0), loop: loop)], except: nil)
        outbox.flush()
        #expect(!c[0].0.isClosing, "checked on the event loop, not when queued")
        loop.run()
        #expect(c[0].0.isClosing, "60 + 62 bytes is past the limit")
        #expect(!c[1].0.isClosing && !c[2].0.isClosing)
        #expect(try Self.writes(c[1].1) == [[50]])
        #expect(try Self.writes(c[2].1) == [[50]])
        #expect(c[1].0.queuedBytes.load(ordering: .relaxed) == 0, "counted until the write completed")
        let close = try c[0].1.readOutbound(as: WebSocketFrame.self)
        #expect(close?.opcode == .connectionClose)
        #expect(try Self.written(c[0].1).isEmpty)
        _ = try? c[0].1.finish()
        _ = try c[1].1.finish()
        _ = try c[2].1.finish()
    }
}
