/// The identity of a client or a database: 32 bytes, a little-endian u256 on the wire.
///
/// Shown as 64 hex digits, most significant first (so the hex string reads as the number).
public struct Identity: Hashable, Comparable, Sendable {
    /// Little-endian 64-bit limbs: `limbs.0` holds bytes 0–7 of the wire form.
    public var limbs: (UInt64, UInt64, UInt64, UInt64)

    public init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }

    /// The identity whose wire bytes (little-endian) are `bytes`; `bytes.count` must be 32.
    public init?(littleEndianBytes bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var l: [UInt64] = [0, 0, 0, 0]
        for (i, b) in bytes.enumerated() { l[i / 8] |= UInt64(b) << (UInt64(i % 8) * 8) }
        limbs = (l[0], l[1], l[2], l[3])
    }

    /// Parses 64 hex digits (most significant first); an optional `0x` prefix is accepted.
    public init?(hex: String) {
        guard let bytes = parseHexNumber(hex, byteCount: 32) else { return nil }
        self.init(littleEndianBytes: bytes)
    }

    public static let zero = Identity(limbs: (0, 0, 0, 0))

    /// The 32 wire bytes, least significant first.
    public var littleEndianBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for limb in [limbs.0, limbs.1, limbs.2, limbs.3] {
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: limb >> (UInt64(i) * 8))) }
        }
        return out
    }

    /// 64 lowercase hex digits, most significant first.
    public var hexString: String { hexNumberString(littleEndianBytes) }

    public static func == (a: Identity, b: Identity) -> Bool {
        a.limbs.0 == b.limbs.0 && a.limbs.1 == b.limbs.1 && a.limbs.2 == b.limbs.2 && a.limbs.3 == b.limbs.3
    }

    public static func < (a: Identity, b: Identity) -> Bool {
        (a.limbs.3, a.limbs.2, a.limbs.1, a.limbs.0) < (b.limbs.3, b.limbs.2, b.limbs.1, b.limbs.0)
    }

    public func hash(into h: inout Hasher) {
        h.combine(limbs.0)
        h.combine(limbs.1)
        h.combine(limbs.2)
        h.combine(limbs.3)
    }
}

/// Identifies one connection of a client: 16 bytes, a little-endian u128 on the wire.
public struct ConnectionId: Hashable, Comparable, Sendable {
    public var value: UInt128
    public init(_ value: UInt128) { self.value = value }

    /// Parses 32 hex digits (most significant first).
    public init?(hex: String) {
        guard let bytes = parseHexNumber(hex, byteCount: 16) else { return nil }
        var v: UInt128 = 0
        for b in bytes.reversed() { v = v << 8 | UInt128(b) }
        value = v
    }

    public static let zero = ConnectionId(0)

    /// 32 lowercase hex digits, most significant first.
    public var hexString: String {
        var le: [UInt8] = []
        for i in 0..<16 { le.append(UInt8(truncatingIfNeeded: value >> (UInt128(i) * 8))) }
        return hexNumberString(le)
    }

    public static func < (a: ConnectionId, b: ConnectionId) -> Bool { a.value < b.value }
}

/// A point in time: microseconds since the Unix epoch (i64).
public struct Timestamp: Hashable, Comparable, Sendable {
    public var microsSinceUnixEpoch: Int64
    public init(microsSinceUnixEpoch: Int64) { self.microsSinceUnixEpoch = microsSinceUnixEpoch }
    public static let unixEpoch = Timestamp(microsSinceUnixEpoch: 0)
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microsSinceUnixEpoch < b.microsSinceUnixEpoch }
}

/// A signed span of time in microseconds (i64).
public struct TimeDuration: Hashable, Comparable, Sendable {
    public var micros: Int64
    public init(micros: Int64) { self.micros = micros }
    public static func < (a: TimeDuration, b: TimeDuration) -> Bool { a.micros < b.micros }
}

/// When a scheduled reducer runs: repeatedly at an interval, or once at a time.
public enum ScheduleAt: Hashable, Sendable {
    case interval(TimeDuration)
    case time(Timestamp)
}

/// Hex digits of a little-endian byte string, most significant first.
func hexNumberString(_ littleEndian: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(littleEndian.count * 2)
    for b in littleEndian.reversed() {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Parses a hex number (most significant digit first, optional `0x`, at most `byteCount` bytes)
/// into little-endian bytes, zero-extended to `byteCount`.
func parseHexNumber(_ text: String, byteCount: Int) -> [UInt8]? {
    var utf8 = Array(text.utf8)
    if utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] | 0x20 == UInt8(ascii: "x") {
        utf8.removeFirst(2)
    }
    guard !utf8.isEmpty, utf8.count <= byteCount * 2 else { return nil }
    var out = [UInt8](repeating: 0, count: byteCount)
    var nibble = 0
    for c in utf8.reversed() {
        guard let v = hexDigitValue(c) else { return nil }
        out[nibble / 2] |= v << (UInt8(nibble % 2) * 4)
        nibble += 1
    }
    return out
}

/// The value of one ASCII hex digit, or nil.
func hexDigitValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}
