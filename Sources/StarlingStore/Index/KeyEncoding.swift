import StarlingTypes

/// An index key in an order-preserving byte encoding: comparing two keys' bytes
/// lexicographically gives the same order as comparing the values column by column.
///
/// Each column's encoding is self-delimiting, so the encoding of the first `k` columns of a key is
/// a byte prefix of the full key's encoding; prefix and range scans on multi-column indexes use
/// that. Rules: unsigned integers big-endian; signed ones big-endian with the sign bit flipped;
/// floats in IEEE total order (−0 folded into +0); bool one byte; strings and bytes with 0x00
/// escaped as 0x00 0xFF and terminated by 0x00 0x00; identities/connection ids as big-endian
/// numbers; sums and options a tag byte then the payload; arrays each element after 0x01, then 0x00.
struct ByteKey: Hashable, Comparable {
    var bytes: [UInt8]

    static func < (a: ByteKey, b: ByteKey) -> Bool {
        a.bytes.withUnsafeBufferPointer { x in
            b.bytes.withUnsafeBufferPointer { y in
                let n = min(x.count, y.count)
                if n > 0 {
                    let c = memcmpBytes(x.baseAddress!, y.baseAddress!, n)
                    if c != 0 { return c < 0 }
                }
                return x.count < y.count
            }
        }
    }

    /// The smallest key greater than every key that starts with `self`, or nil if there is none
    /// (all bytes 0xFF).
    var prefixSuccessor: ByteKey? {
        var b = bytes
        while let last = b.last {
            if last < 0xFF {
                b[b.count - 1] = last + 1
                return ByteKey(bytes: b)
            }
            b.removeLast()
        }
        return nil
    }
}

@inline(__always) private func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int {
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
    return 0
}

/// Transcodes BSATN values to the order-preserving key encoding.
enum KeyEncoder {
    /// Reads one value of `type` from `r` and appends its key encoding to `out`.
    static func append(_ type: AlgebraicType, from r: inout BSATNReader, to out: inout [UInt8]) throws(BSATNError) {
        switch type {
        case .bool: out.append(try r.readBool() ? 1 : 0)
        case .u8: out.append(try r.readU8())
        case .i8: out.append(try r.readU8() ^ 0x80)
        case .u16: appendBE(try r.readLE(UInt16.self), &out)
        case .i16: appendBE(UInt16(bitPattern: try r.readLE(Int16.self)) ^ 0x8000, &out)
        case .u32: appendBE(try r.readLE(UInt32.self), &out)
        case .i32: appendBE(UInt32(bitPattern: try r.readLE(Int32.self)) ^ 0x8000_0000, &out)
        case .u64: appendBE(try r.readLE(UInt64.self), &out)
        case .i64, .timestamp, .timeDuration: appendBE(UInt64(bitPattern: try r.readLE(Int64.self)) ^ (1 << 63), &out)
        case .u128, .connectionId: appendBE(try r.readLE(UInt128.self), &out)
        case .i128: appendBE(UInt128(bitPattern: try r.readLE(Int128.self)) ^ (1 << 127), &out)
        case .f32:
            var bits = try r.readLE(UInt32.self)
            if bits == 0x8000_0000 { bits = 0 }
            appendBE(bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000, &out)
        case .f64:
            var bits = try r.readLE(UInt64.self)
            if bits == 1 << 63 { bits = 0 }
            appendBE(bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63), &out)
        case .identity:
            let id = try Identity.decode(from: &r)
            appendBE(id.limbs.3, &out)
            appendBE(id.limbs.2, &out)
            appendBE(id.limbs.1, &out)
            appendBE(id.limbs.0, &out)
        case .string, .bytes:
            let at = r.position
            if type == .string { try r.skipString() }
            r.position = at
            let s = try r.readByteSlice()
            for b in s {
                out.append(b)
                if b == 0 { out.append(0xFF) }
            }
            out.append(0)
            out.append(0)
        case .array(let t):
            let n = try r.readLength(minElementSize: t.minimumSize)
            for _ in 0..<n {
                out.append(1)
                try append(t, from: &r, to: &out)
            }
            out.append(0)
        case .option(let t):
            let at = r.position
            let tag = try r.readU8()
            guard tag <= 1 else { throw BSATNError(.invalidTag, "invalid option tag \(tag)", offset: at) }
            out.append(tag)
            if tag == 0 { try append(t, from: &r, to: &out) }
        case .product(let p):
            for f in p.fields { try append(f.type, from: &r, to: &out) }
        case .sum(let s):
            let at = r.position
            let tag = try r.readU8()
            guard Int(tag) < s.variants.count else { throw BSATNError(.invalidTag, "invalid sum tag \(tag)", offset: at) }
            out.append(tag)
            try append(s.variants[Int(tag)].type, from: &r, to: &out)
        case .scheduleAt:
            switch try ScheduleAt.decode(from: &r) {
            case .interval(let d):
                out.append(0)
                appendBE(UInt64(bitPattern: d.micros) ^ (1 << 63), &out)
            case .time(let t):
                out.append(1)
                appendBE(UInt64(bitPattern: t.microsSinceUnixEpoch) ^ (1 << 63), &out)
            }
        }
    }

    @inline(__always) static func appendBE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    /// The compact `UInt64` key of a value of `kind`, read at `offset` of `bytes` (bounds already
    /// checked by validation).
    @inline(__always) static func u64Key(_ kind: CompactKeyKind, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        switch kind {
        case .u64: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        case .i64: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ (1 << 63)
        case .u32: UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .i32: UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) ^ 0x8000_0000)
        case .u16: UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .i16: UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) ^ 0x8000)
        case .u8: UInt64(bytes[offset])
        case .i8: UInt64(bytes[offset] ^ 0x80)
        }
    }
}

/// Column types whose values map to an order-preserving `UInt64` (a trivial value, so the hot key
/// paths copy no reference-counted `AlgebraicType`). Bool is `u8`; timestamps and durations are `i64`.
enum CompactKeyKind: UInt8 {
    case u8, i8, u16, i16, u32, i32, u64, i64

    init?(_ type: AlgebraicType) {
        switch type {
        case .bool, .u8: self = .u8
        case .i8: self = .i8
        case .u16: self = .u16
        case .i16: self = .i16
        case .u32: self = .u32
        case .i32: self = .i32
        case .u64: self = .u64
        case .i64, .timestamp, .timeDuration: self = .i64
        default: return nil
        }
    }

    /// Bytes of the column's BSATN encoding.
    var width: Int {
        switch self {
        case .u8, .i8: 1
        case .u16, .i16: 2
        case .u32, .i32: 4
        case .u64, .i64: 8
        }
    }
}
