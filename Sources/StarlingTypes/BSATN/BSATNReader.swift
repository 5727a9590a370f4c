/// Reads BSATN from a byte buffer, checking bounds on every read.
///
/// The reader borrows the buffer: use it inside `withUnsafeBytes` (or ``decode(_:)`` helpers)
/// and do not let it escape.
public struct BSATNReader {
    public let buffer: UnsafeRawBufferPointer
    /// Offset of the next byte to read.
    public var position: Int

    @inlinable public init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    @inlinable public var remaining: Int { buffer.count - position }
    @inlinable public var isAtEnd: Bool { position >= buffer.count }

    @inlinable func need(_ n: Int) throws(BSATNError) {
        guard n <= buffer.count - position else {
            throw endError(needed: n)
        }
    }

    // Error construction lives out of line so the checks above stay small enough to inline.

    @usableFromInline func endError(needed n: Int) -> BSATNError {
        BSATNError(.unexpectedEnd, "unexpected end of input: needed \(n) bytes, \(remaining) left", offset: position)
    }

    @usableFromInline func lengthError(_ raw: UInt32, minElementSize: Int, at: Int) -> BSATNError {
        if minElementSize > 0 {
            return BSATNError(
                .unexpectedEnd,
                "unexpected end of input: length \(raw) needs at least \(minElementSize) bytes per element, \(remaining) left",
                offset: at)
        }
        if minElementSize == 0 {
            return BSATNError(
                .lengthTooLarge, "array of \(raw) zero-size elements exceeds the limit of \(BSATNReader.maxZeroSizeElements)",
                offset: at)
        }
        return BSATNError(.lengthTooLarge, "length \(raw) does not fit in Int on this platform", offset: at)
    }

    /// Fails with `trailingBytes` unless every byte was consumed.
    @inlinable public func expectEnd() throws(BSATNError) {
        guard isAtEnd else { throw trailingError() }
    }

    @usableFromInline func trailingError() -> BSATNError {
        BSATNError(.trailingBytes, "\(remaining) trailing bytes after the value", offset: position)
    }

    @inlinable public mutating func readLE<T: FixedWidthInteger>(_: T.Type = T.self) throws(BSATNError) -> T {
        try need(MemoryLayout<T>.size)
        let v = buffer.loadUnaligned(fromByteOffset: position, as: T.self)
        position += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    @inlinable public mutating func readU8() throws(BSATNError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return buffer[position]
    }

    @inlinable public mutating func readBool() throws(BSATNError) -> Bool {
        let b = try readU8()
        guard b <= 1 else { throw BSATNError(.invalidBool, "invalid bool byte \(b) (must be 0 or 1)", offset: position - 1) }
        return b == 1
    }

    @inlinable public mutating func readF32() throws(BSATNError) -> Float { Float(bitPattern: try readLE()) }
    @inlinable public mutating func readF64() throws(BSATNError) -> Double { Double(bitPattern: try readLE()) }

    /// A u32 length, checked against the bytes left: `count * minElementSize` must fit.
    @inlinable public mutating func readLength(minElementSize: Int = 1) throws(BSATNError) -> Int {
        let at = position
        let raw = try readLE(UInt32.self)
        // Compared in UInt64 (where Int is 32 bits (wasm32), `Int(raw)` traps for lengths ≥ 2^31),
        // multiplied with an overflow check rather than divided: a division costs tens of cycles
        // on every length read.
        if minElementSize > 0,
            case let (need, overflow) = UInt64(raw).multipliedReportingOverflow(by: UInt64(minElementSize)),
            overflow || need > UInt64(remaining)
        {
            throw lengthError(raw, minElementSize: minElementSize, at: at)
        }
        if minElementSize == 0, raw > BSATNReader.maxZeroSizeElements {
            throw lengthError(raw, minElementSize: 0, at: at)
        }
        guard let n = Int(exactly: raw) else { throw lengthError(raw, minElementSize: -1, at: at) }
        return n
    }

    /// The most elements an array of a zero-size element type (e.g. `array<()>`) may claim: such
    /// elements consume no input, so their count is not bounded by the input's length.
    public static let maxZeroSizeElements: UInt32 = 65536

    /// A length-prefixed run of raw bytes, returned as a slice of the buffer.
    @inlinable public mutating func readByteSlice() throws(BSATNError) -> UnsafeRawBufferPointer {
        let n = try readLength()
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: buffer[position..<position + n])
    }

    /// The next `n` bytes as a pointer (for fixed-size loads), advancing past them.
    @inlinable public mutating func fixedBytes(_ n: Int) throws(BSATNError) -> UnsafeRawPointer {
        try need(n)
        defer { position += n }
        return UnsafeRawPointer(buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) + position
    }

    /// Skips `n` raw bytes.
    @inlinable public mutating func skip(_ n: Int) throws(BSATNError) {
        try need(n)
        position += n
    }

    @inlinable public mutating func readBytes() throws(BSATNError) -> [UInt8] { Array(try readByteSlice()) }

    /// A string: u32 length then UTF-8, validated.
    public mutating func readString() throws(BSATNError) -> String {
        let start = position
        let slice = try readByteSlice()
        guard let bad = firstInvalidUTF8(slice) else { return String(decoding: slice, as: UTF8.self) }
        throw BSATNError(.invalidUTF8, "string is not valid UTF-8 (bad byte at offset \(bad))", offset: start + 4 + bad)
    }

    /// Validates a length-prefixed UTF-8 string without building it.
    public mutating func skipString() throws(BSATNError) {
        let start = position
        let slice = try readByteSlice()
        if let bad = firstInvalidUTF8(slice) {
            throw BSATNError(.invalidUTF8, "string is not valid UTF-8 (bad byte at offset \(bad))", offset: start + 4 + bad)
        }
    }
}

/// The offset of the first byte that makes `bytes` invalid UTF-8, or nil if it is valid.
@usableFromInline func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var i = 0
    let n = bytes.count
    // ASCII fast path: eight bytes at a time while no byte has its high bit set.
    while i + 8 <= n, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
        i += 8
    }
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 {
            i += 1
            continue
        }
        let len: Int
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: len = 2
        case 0xE0: len = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: len = 3
        case 0xED: len = 3; hi = 0x9F
        case 0xF0: len = 4; lo = 0x90
        case 0xF1...0xF3: len = 4
        case 0xF4: len = 4; hi = 0x8F
        default: return i
        }
        guard i + len <= n else { return i }
        let b1 = bytes[i + 1]
        guard b1 >= lo, b1 <= hi else { return i }
        for k in 2..<max(len, 2) where bytes[i + k] & 0xC0 != 0x80 { return i }
        i += len
    }
    return nil
}
