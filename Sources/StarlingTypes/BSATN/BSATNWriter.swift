/// Appends BSATN encodings to a growing byte buffer.
///
/// BSATN: fixed-width integers and floats little-endian; bool one byte; strings, byte strings
/// and arrays a u32 LE length then the payload; products the fields in order; sums a u8 tag then
/// the payload. See `docs/BSATN.md`.
///
/// The buffer keeps slack beyond the written prefix and values are stored straight into it, so a
/// write is a bounds check and a store — not an `Array.append` per byte, which costs ~40
/// instructions a byte in an Embedded-Swift wasm module.
public struct BSATNWriter: Sendable {
    /// Written bytes (`..<count`) followed by slack.
    @usableFromInline var storage: [UInt8]
    @usableFromInline var written: Int
    /// How many bytes have been written.
    @inlinable public var count: Int { written }

    public init(capacity: Int = 64) {
        storage = [UInt8](repeating: 0, count: Swift.max(capacity, 16))
        written = 0
    }

    /// A writer that appends after `bytes`.
    public init(appendingTo bytes: [UInt8]) {
        storage = bytes
        written = bytes.count
    }

    /// The bytes written so far.
    public var bytes: [UInt8] {
        count == storage.count ? storage : Array(storage[..<count])
    }

    /// Forgets what was written, keeping the buffer for reuse.
    @inlinable public mutating func removeAll() { written = 0 }

    /// Forgets what was written after the first `count` bytes.
    @inlinable public mutating func truncate(to count: Int) {
        precondition(count >= 0 && count <= written, "truncate(to: \(count)) beyond the \(written) bytes written")
        written = count
    }

    /// Bytes the buffer holds before it has to grow.
    public var capacity: Int { storage.count }

    /// Calls `body` with the written bytes (no copy).
    @inlinable public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let n = written
        return try storage.withBytes { (raw) throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: raw[..<n])) }
    }

    /// Calls `body` with the written bytes, mutable in place (no copy).
    @inlinable public mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        let n = count
        return storage.withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[..<n])) }
    }

    @inlinable public mutating func write(_ v: Bool) { write(v ? 1 as UInt8 : 0) }
    @inlinable public mutating func write(_ v: UInt8) {
        reserve(1)
        storage[count] = v
        written += 1
    }
    @inlinable public mutating func write(_ v: Int8) { write(UInt8(bitPattern: v)) }
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
            writeRaw(UnsafeRawBufferPointer(utf8))
        }
    }

    /// A byte string: u32 length then the bytes.
    @inlinable public mutating func writeBytes(_ b: some Collection<UInt8>) {
        writeLength(b.count)
        writeRaw(b)
    }

    /// Raw bytes with no length prefix (an already-encoded value).
    @inlinable public mutating func writeRaw(_ b: some Sequence<UInt8>) {
        let done: Void? = b.withContiguousStorageIfAvailable { writeRaw(UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in b { write(byte) }
        }
    }

    /// Raw bytes with no length prefix, copied in one go.
    @inlinable public mutating func writeRaw(_ b: UnsafeRawBufferPointer) {
        guard let src = b.baseAddress, b.count > 0 else { return }
        reserve(b.count)
        let at = count
        storage.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: at).copyMemory(from: src, byteCount: b.count) }
        written += b.count
    }

    @inlinable mutating func writeLE<T: FixedWidthInteger>(_ v: T) {
        let n = MemoryLayout<T>.size
        reserve(n)
        let at = count
        storage.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: at, as: T.self) }
        written += n
    }

    /// Appends `n` bytes that `body` stores through a raw pointer (one bounds check for a whole
    /// fixed-size value).
    @inlinable public mutating func withReservedSpace(_ n: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
        reserve(n)
        let at = written
        storage.withUnsafeMutableBytes { body($0.baseAddress!.advanced(by: at)) }
        written += n
    }

    /// Makes room for `n` more bytes.
    @inlinable mutating func reserve(_ n: Int) {
        if count + n > storage.count { grow(n) }
    }

    @usableFromInline mutating func grow(_ n: Int) {
        let target = Swift.max(count + n, storage.count * 2, 16)
        storage.append(contentsOf: repeatElement(0, count: target - storage.count))
    }
}
