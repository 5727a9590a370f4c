import StarlingNetClient
import StarlingProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client connection on a plain blocking-then-non-blocking socket, for the load
/// generator's transfer connections and fan-out subscribers. Served by a ``RawSocketLoop`` (epoll),
/// a message costs the load generator its share of one `read` and an in-place parse, with no
/// channel pipeline, buffer allocation or reference counting per message: the load generator shares
/// the 2 cores with the server it measures, so its CPU per call or update is kept small.
///
/// The handshake checks the `101` status and the selected subprotocol (not `Sec-WebSocket-Accept`:
/// the peer is the Starling server under test, not an intermediary).
enum RawWebSocket {
    /// An open connection: its descriptor and any frame bytes that arrived with the 101 response.
    struct Opened {
        let fd: Int32
        let leftover: [UInt8]
    }

    /// Connects to `url` (loopback or a numeric IPv4 address) and upgrades with the BSATN subprotocol;
    /// blocking, with `timeoutSeconds` per socket operation. The descriptor is left non-blocking.
    static func connect(url: NetURL, token: String, timeoutSeconds: Int = 30) throws(LoadGenError) -> Opened {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LoadGenError("socket: \(errnoText())") }
        do throws(LoadGenError) {
            try configure(fd, timeoutSeconds: timeoutSeconds)
            try connect(fd, host: url.host, port: url.port)
            let request = upgradeRequest(url: url, token: token)
            try writeAll(fd, Array(request.utf8))
            let leftover = try readUpgradeResponse(fd)
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
                throw LoadGenError("fcntl: \(errnoText())")
            }
            return Opened(fd: fd, leftover: leftover)
        } catch {
            close(fd)
            throw error
        }
    }

    private static func configure(_ fd: Int32, timeoutSeconds: Int) throws(LoadGenError) {
        var one: Int32 = 1
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        guard setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size)) == 0,
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size) == 0,
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size) == 0
        else { throw LoadGenError("setsockopt: \(errnoText())") }
    }

    private static func connect(_ fd: Int32, host: String, port: Int) throws(LoadGenError) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let name = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &address.sin_addr) == 1 else {
            throw LoadGenError("the fan-out subscribers need a numeric IPv4 server address, not \(host)")
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw LoadGenError("connect to \(host):\(port): \(errnoText())") }
    }

    private static func upgradeRequest(url: NetURL, token: String) -> String {
        var key: [UInt8] = (0..<16).map { _ in UInt8.random(in: 0...255) }
        key[0] |= 1
        return "GET \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(Base64.encode(key))\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: \(WireFormat.bsatn.subprotocol)\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Length: 0\r\n\r\n"
    }

    /// Reads the HTTP response up to its blank line; returns the bytes after it.
    private static func readUpgradeResponse(_ fd: Int32) throws(LoadGenError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw LoadGenError("the WebSocket upgrade response ended early: \(n < 0 ? errnoText() : "EOF")") }
            bytes += chunk[0..<n]
            guard let end = headerEnd(bytes) else {
                if bytes.count > 65_536 { throw LoadGenError("the WebSocket upgrade response has no end") }
                continue
            }
            let head = String(decoding: bytes[0..<end], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            guard let status = lines.first, status.split(separator: " ").dropFirst().first == "101" else {
                throw LoadGenError("the server refused the WebSocket upgrade: \(lines.first ?? "")")
            }
            let selected = lines.dropFirst().first { $0.lowercased().hasPrefix("sec-websocket-protocol:") }
                .map { $0.dropFirst("sec-websocket-protocol:".count).trimmingCharacters(in: " ") }
            guard selected == WireFormat.bsatn.subprotocol else {
                throw LoadGenError("the server selected the subprotocol \(selected ?? "none")")
            }
            return Array(bytes[(end + 4)...])
        }
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// A complete masked client frame, with a random mask key.
    static func frame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendFrame(opcode: opcode, payload: payload, maskKey: (0..<4).map { _ in UInt8.random(in: 0...255) }, to: &out)
        return out
    }

    /// Appends one complete masked client frame (FIN set) carrying `payload` to `out`.
    ///
    /// RFC 6455 wants an unpredictable mask key per frame (against cache poisoning of intermediaries that
    /// read the payload as HTTP); the pre-encoded calls of ``CallPool`` share one key, which the server
    /// only XORs away.
    static func appendFrame(opcode: UInt8, payload: [UInt8], maskKey: [UInt8], to out: inout [UInt8]) {
        precondition(maskKey.count == 4, "a WebSocket mask key has 4 bytes")
        out.append(0x80 | opcode)
        let n = payload.count
        if n <= 125 {
            out.append(0x80 | UInt8(n))
        } else if n <= Int(UInt16.max) {
            out += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out.append(0x80 | 127)
            out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(n) >> (8 * UInt64($0))) }
        }
        out += maskKey
        for (i, byte) in payload.enumerated() { out.append(byte ^ maskKey[i & 3]) }
    }

    /// Writes all of `bytes` to `fd`, waiting for room when the socket is non-blocking and full.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(LoadGenError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n > 0 {
                done += n
            } else if n < 0, errno == EINTR {
                continue
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 1_000)
            } else {
                throw LoadGenError("write: \(errnoText())")
            }
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}

/// Standard base64 (RFC 4648) for the handshake key.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
