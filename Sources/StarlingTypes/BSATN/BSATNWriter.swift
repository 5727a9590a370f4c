/// Appends BSATN encodings to a growing byte array.
///
/// BSATN: fixed-width integers and floats little-endian; bool one byte; strings, byte strings
/// and arrays a u32 LE length then the payload; products the fields in order; sums a u8 tag then
/// the payload. See `docs/BSATN.md`.
public struct BSATNWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init(appendingTo bytes: [UInt8]) { self.bytes = bytes }

    @inlinable public var count: Int { bytes.count }

    @inlinable public mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }
    @inlinable public mutating func write(_ v: UInt8) { bytes.append(v) }
    @inlinable public mutating func write(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    @inlinable public mutating func write(_ v: UInt16) { writeLE(v) }
    @inlinable public mutating func write(_ v: Int16) { writeLE(v) }
    @inlinable public mutating func write(_ v: UInt32) { writeLE(v) }
    @inlinable public mutating func write(_ v: Int32) { writeLE(v) }
    @inlinable public mutating func write(_ v: UInt64) { writeLE(v) }
    @inlinable public mutating func write(_ v: Int64) { writeLE(v) }
    @inlinable public mutating func write(_ v: UInt128) { writeLE(v) }
    @inlinable public mutating func write(_ v: Int128) { writeLE(v) }
    @inlinable public mutating func write(_ v: Float) { writeLE(v.bitPattern) }
    @inlinable public mutating func write(_ v: Double) { writeLE(v.bitPattern) }

    /// A u32 length prefix.
    @inlinable public mutating func writeLength(_ n: Int) { writeLE(UInt32(truncatingIfNeeded: n)) }

    /// A string: u32 byte length then UTF-8.
    @inlinable public mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            writeLength(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// A byte string: u32 length then the bytes.
    @inlinable public mutating func writeBytes(_ b: some Collection<UInt8>) {
        writeLength(b.count)
        bytes.append(contentsOf: b)
    }

    /// Raw bytes with no length prefix (an already-encoded value).
    @inlinable public mutating func writeRaw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    @inlinable mutating func writeLE<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
