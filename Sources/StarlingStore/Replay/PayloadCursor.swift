import StarlingTypes

/// Reads a commitlog payload on the recovery hot path: raw little-endian loads with explicit
/// bounds checks that fail with a "malformed commit record" ``StoreError`` directly (no
/// `BSATNError` to convert, no closures), so replaying a small transaction costs a few dozen
/// instructions of parsing rather than a few hundred.
struct PayloadCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inline(__always) mutating func u32() throws(StoreError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw truncated(needed: 4) }
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    /// A count of elements of at least `minSize` bytes each, checked against the bytes left.
    @inline(__always) mutating func count(minSize: Int) throws(StoreError) -> Int {
        let at = position
        let n = Int(try u32())
        guard n &* minSize <= bytes.count - position else {
            throw lengthError(n, minSize: minSize, at: at)
        }
        return n
    }

    /// A u32-length-prefixed run of bytes.
    @inline(__always) mutating func slice() throws(StoreError) -> UnsafeRawBufferPointer {
        let n = Int(try u32())
        guard n <= bytes.count - position else { throw truncated(needed: n) }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
    }

    @inline(__always) mutating func skip(_ n: Int) throws(StoreError) {
        guard n <= bytes.count - position else { throw truncated(needed: n) }
        position += n
    }

    /// Skips a row list (u32 count, then u32-length-prefixed rows).
    mutating func skipRows() throws(StoreError) {
        for _ in 0..<(try count(minSize: 4)) { _ = try slice() }
    }

    /// Skips the timestamp and the optional reducer call (name validated as UTF-8).
    mutating func skipHeader() throws(StoreError) {
        try skip(8)
        guard position < bytes.count else { throw truncated(needed: 1) }
        let tag = bytes[position]
        position += 1
        switch tag {
        case 0:
            var r = BSATNReader(bytes, position: position)
            do throws(BSATNError) { try r.skipString() } catch {
                throw Self.malformed(error.message, error.offset)
            }
            position = r.position
            try skip(32 + 16)
            _ = try slice()
        case 1: break
        default: throw Self.malformed("invalid option tag \(tag) for the reducer", position - 1)
        }
    }

    @inline(__always) func expectEnd() throws(StoreError) {
        guard position == bytes.count else { throw trailing() }
    }

    // Errors are built out of line so the checks above stay a compare and a branch.

    @inline(never) private func lengthError(_ n: Int, minSize: Int, at: Int) -> StoreError {
        Self.malformed("length \(n) needs at least \(minSize) bytes per element, \(bytes.count - position) left", at)
    }

    @inline(never) private func trailing() -> StoreError {
        Self.malformed("\(bytes.count - position) trailing bytes after the value", position)
    }

    @inline(never) private func truncated(needed n: Int) -> StoreError {
        Self.malformed("unexpected end of input: needed \(n) bytes, \(bytes.count - position) left", position)
    }

    @inline(never) static func malformed(_ message: String, _ offset: Int) -> StoreError {
        StoreError(.typeMismatch, "malformed commit record: \(message) (byte \(offset))")
    }
}
