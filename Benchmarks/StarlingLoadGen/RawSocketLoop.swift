import CStarlingSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a ``RawSocketLoop`` does with one connection's messages; every call comes on the loop's
/// thread (or, before the loop starts and after it stopped, on the thread that owns it).
protocol RawMessageSink {
    /// Whether the run is closing this connection (the server closing it is then expected).
    var isClosing: Bool { get }
    /// One complete binary message, valid only during the call, read at `nanos`. Returns a failure
    /// text to end the connection with (``failed(_:)`` is then called).
    mutating func received(_ message: UnsafeRawBufferPointer, at nanos: UInt64) -> String?
    /// The connection failed or ended while it was not closing.
    mutating func failed(_ text: String)
    /// The bytes of one `read` were handled: the moment to write what the messages called for (on
    /// `fd`). Returns a failure text to end the connection with.
    mutating func readComplete(fd: Int32) -> String?
}

extension RawMessageSink {
    mutating func readComplete(fd: Int32) -> String? { nil }
}

/// One thread serving many ``RawWebSocket`` connections with level-triggered epoll: one `read` per
/// ready socket and wake-up into a reused 64 KiB buffer, frames parsed in place (bytes are copied only
/// when a frame spans reads), pings answered, close frames and EOF reported to the sink, and the
/// sink's writes made once per read (``RawMessageSink/readComplete(fd:)``).
///
/// Connections are added before ``start()``; after it they belong to the loop's thread until
/// ``stop()`` returns (it closes them); then ``withSinks(_:)`` reaches their sinks.
final class RawSocketLoop<Sink: RawMessageSink>: @unchecked Sendable {
    private struct Connection {
        let fd: Int32
        var sink: Sink
        /// The start of a frame that did not fit in the bytes read so far.
        var pending: [UInt8] = []
        /// A fragmented message's parts so far.
        var fragments: [UInt8]?
        var open = true
    }

    private let epfd: Int32
    private var connections: [Connection] = []
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t?
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    init() throws(LoadGenError) {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw LoadGenError("epoll_create1: \(RawWebSocket.errnoText())") }
    }

    deinit {
        for c in connections where c.open { close(c.fd) }
        close(epfd)
        scratch.deallocate()
    }

    /// Adds an opened connection (before ``start()``); its leftover bytes are parsed first.
    func add(_ opened: RawWebSocket.Opened, sink: Sink) throws(LoadGenError) {
        precondition(thread == nil, "connections are added before the loop starts")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.u64 = UInt64(connections.count)
        guard epoll_ctl(epfd, EPOLL_CTL_ADD, opened.fd, &event) == 0 else {
            throw LoadGenError("epoll_ctl: \(RawWebSocket.errnoText())")
        }
        connections.append(Connection(fd: opened.fd, sink: sink, pending: opened.leftover))
        descriptors.append(opened.fd)
        if !opened.leftover.isEmpty {
            consumePending(connections.count - 1, at: monotonicNanos())
            finishRead(connections.count - 1)
        }
    }

    /// Runs `body` on every connection's sink, in the order added; only before ``start()`` or after
    /// ``stop()``.
    func withSinks(_ body: (inout Sink) -> Void) {
        precondition(thread == nil, "the sinks belong to the loop's thread while it runs")
        for i in connections.indices { body(&connections[i].sink) }
    }

    /// The descriptors, in the order they were added (for writes from other threads).
    private(set) var descriptors: [Int32] = []

    /// Starts the reading thread.
    func start() {
        let box = Unmanaged.passRetained(ThreadBody { [self] in run() }).toOpaque()
        var t = pthread_t()
        let result = pthread_create(&t, nil, { arg in
            Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        thread = t
    }

    /// Stops the thread (within ~20 ms) and closes every connection still open.
    func stop() {
        stopping.store(true, ordering: .releasing)
        if let thread { pthread_join(thread, nil) }
        thread = nil
        for i in connections.indices where connections[i].open { shut(i) }
    }

    /// Closes every connection of `loops`: a close frame (1000) to each, then up to `timeout` seconds
    /// for the server to close them all; the loops then stop and close whatever is left.
    static func closeAll(_ loops: [RawSocketLoop], timeout: Double = 2) async {
        let close = RawWebSocket.frame(opcode: 0x8, payload: [0x03, 0xE8])
        for loop in loops {
            for fd in loop.descriptors { try? RawWebSocket.writeAll(fd, close) }
        }
        let deadline = monotonicNanos() + UInt64(timeout * 1e9)
        while !loops.allSatisfy(\.allClosed), monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        for loop in loops { loop.stop() }
    }

    /// Whether every connection has ended (the server closed it or it dropped).
    var allClosed: Bool { openCount.load(ordering: .acquiring) == 0 }
    private let openCount = Atomic<Int>(0)

    private func run() {
        starling_name_thread("loadgen-io")
        openCount.store(connections.lazy.filter(\.open).count, ordering: .releasing)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopping.load(ordering: .acquiring) {
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, Int32($0.count), 20) }
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait: \(RawWebSocket.errnoText())")
            }
            let now = monotonicNanos()
            for k in 0..<Int(n) { readReady(Int(events[k].data.u64), at: now) }
        }
    }

    private func readReady(_ i: Int, at now: UInt64) {
        guard connections[i].open else { return }
        // recv, not read: a socket's receive skips the file layer (position lock, vfs checks).
        let n = recv(connections[i].fd, scratch.baseAddress, scratch.count, 0)
        if n > 0 {
            if connections[i].pending.isEmpty {
                let used = parse(i, UnsafeRawBufferPointer(rebasing: scratch[0..<n]), at: now)
                if used < n, connections[i].open { connections[i].pending = Array(scratch[used..<n]) }
            } else {
                connections[i].pending += scratch[0..<n]
                consumePending(i, at: now)
            }
            finishRead(i)
        } else if n == 0 {
            end(i, "the connection dropped")
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            end(i, "read: \(RawWebSocket.errnoText())")
        }
    }

    private func finishRead(_ i: Int) {
        guard connections[i].open else { return }
        if let failure = connections[i].sink.readComplete(fd: connections[i].fd) { end(i, failure) }
    }

    private func consumePending(_ i: Int, at now: UInt64) {
        let bytes = connections[i].pending
        let used = bytes.withUnsafeBytes { parse(i, $0, at: now) }
        if connections[i].open { connections[i].pending = used == bytes.count ? [] : Array(bytes[used...]) }
    }

    /// Handles every complete frame at the start of `buf`; returns the bytes used.
    private func parse(_ i: Int, _ buf: UnsafeRawBufferPointer, at now: UInt64) -> Int {
        var p = 0
        while connections[i].open, buf.count - p >= 2 {
            let b0 = buf[p]
            let b1 = buf[p + 1]
            guard b1 & 0x80 == 0 else {
                end(i, "the server sent a masked frame")
                return p
            }
            var header = 2
            var length = Int(b1 & 0x7F)
            if length == 126 {
                guard buf.count - p >= 4 else { break }
                length = Int(buf[p + 2]) << 8 | Int(buf[p + 3])
                header = 4
            } else if length == 127 {
                guard buf.count - p >= 10 else { break }
                length = (0..<8).reduce(0) { $0 << 8 | Int(buf[p + 2 + $1]) }
                header = 10
            }
            guard buf.count - p - header >= length else { break }
            let payload = UnsafeRawBufferPointer(rebasing: buf[(p + header)..<(p + header + length)])
            frame(i, fin: b0 & 0x80 != 0, opcode: b0 & 0x0F, payload, at: now)
            p += header + length
        }
        return p
    }

    private func frame(_ i: Int, fin: Bool, opcode: UInt8, _ payload: UnsafeRawBufferPointer, at now: UInt64) {
        switch opcode {
        case 0x2 where fin:
            deliver(i, payload, at: now)
        case 0x2:
            connections[i].fragments = Array(payload)
        case 0x0:
            guard var parts = connections[i].fragments else { return end(i, "a continuation frame without a first frame") }
            parts += payload
            connections[i].fragments = fin ? nil : parts
            if fin { parts.withUnsafeBytes { deliver(i, $0, at: now) } }
        case 0x9:
            try? RawWebSocket.writeAll(connections[i].fd, RawWebSocket.frame(opcode: 0xA, payload: Array(payload)))
        case 0xA:
            break
        case 0x8:
            if connections[i].sink.isClosing { return shut(i) }
            let code = payload.count >= 2 ? "\(UInt16(payload[0]) << 8 | UInt16(payload[1]))" : "no code"
            let reason = payload.count > 2 ? String(decoding: payload[2...], as: UTF8.self) : ""
            end(i, "the server closed the connection (\(code) \(reason))")
        default:
            end(i, "an unexpected frame (opcode \(opcode))")
        }
    }

    private func deliver(_ i: Int, _ message: UnsafeRawBufferPointer, at now: UInt64) {
        if let failure = connections[i].sink.received(message, at: now) { end(i, failure) }
    }

    /// The connection ended: a failure unless the run is closing it.
    private func end(_ i: Int, _ text: String) {
        if !connections[i].sink.isClosing { connections[i].sink.failed(text) }
        shut(i)
    }

    private func shut(_ i: Int) {
        guard connections[i].open else { return }
        connections[i].open = false
        connections[i].pending = []
        epoll_ctl(epfd, EPOLL_CTL_DEL, connections[i].fd, nil)
        close(connections[i].fd)
        openCount.subtract(1, ordering: .releasing)
    }
}

/// A closure handed to a new pthread.
private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
