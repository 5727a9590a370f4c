/// A failure of the commitlog: corruption found while reading, an I/O error, or misuse.
public struct CommitlogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// The log's bytes are damaged in a way recovery must not repair silently.
        case corruption
        /// A segment header names a format version this build does not read.
        case unsupportedVersion = "unsupported-version"
        /// An operating-system I/O call failed.
        case io
        /// The log was closed (or has failed earlier) and accepts no more work.
        case closed
        /// A caller passed something the log cannot accept (e.g. a payload over 4 GiB).
        case invalidArgument = "invalid-argument"
    }

    /// What kind of failure.
    public var code: Code
    /// A human-readable explanation, including how to proceed where there is a choice.
    public var message: String
    /// The segment file concerned (`00000000000000000000.stlog`), when relevant.
    public var segment: String?
    /// The byte position in `segment` concerned, when relevant.
    public var byteOffset: Int?

    /// An error of `code` with `message`, optionally naming a segment file and byte position.
    public init(_ code: Code, _ message: String, segment: String? = nil, byteOffset: Int? = nil) {
        self.code = code
        self.message = message
        self.segment = segment
        self.byteOffset = byteOffset
    }

    public var description: String {
        var s = "commitlog \(code.rawValue) error"
        if let segment { s += " in \(segment)" }
        if let byteOffset { s += " at byte \(byteOffset)" }
        return s + ": " + message
    }
}

/// The on-disk layout of `docs/commitlog.md` (format version 1).
enum CommitlogFormat {
    /// `STARLOG1`.
    static let magic: [UInt8] = Array("STARLOG1".utf8)
    /// The format version written and read.
    static let version: UInt32 = 1
    /// Bytes in a segment header: magic, version, CRC.
    static let segmentHeaderSize = 16
    /// Bytes in a record header: length, offset, header CRC.
    static let recordHeaderSize = 16
    /// Bytes a record adds around its payload: header plus trailing CRC.
    static let recordOverhead = 20
    /// The file-name suffix of a segment.
    static let segmentSuffix = ".stlog"

    /// The 16-byte segment header.
    static let segmentHeader: [UInt8] = {
        var h = magic
        appendLE(version, to: &h)
        appendLE(CRC32C.checksum(h), to: &h)
        return h
    }()

    /// The file name of the segment whose first record has `offset`: 20 decimal digits + `.stlog`.
    static func segmentName(_ offset: UInt64) -> String {
        let digits = String(offset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + segmentSuffix
    }

    /// The start offset named by a segment file name, or nil if `name` is not a segment name.
    static func parseSegmentName(_ name: String) -> UInt64? {
        guard name.hasSuffix(segmentSuffix) else { return nil }
        let stem = name.utf8.dropLast(segmentSuffix.utf8.count)
        let isDigit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        guard stem.count == 20, stem.allSatisfy(isDigit) else { return nil }
        return UInt64(Substring(stem))
    }

    /// Appends `v` little-endian.
    @inline(__always)
    static func appendLE<T: FixedWidthInteger>(_ v: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends one complete record (header, payload, CRC) for `payload` at `offset` to `out`.
    /// The payload must be shorter than 4 GiB (checked by the caller).
    static func appendRecord(offset: UInt64, payload: [UInt8], to out: inout [UInt8]) {
        payload.withUnsafeBytes { appendRecord(offset: offset, payload: $0, to: &out) }
    }

    static func appendRecord(offset: UInt64, payload: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let start = out.count
        appendLE(UInt32(truncatingIfNeeded: payload.count), to: &out)
        appendLE(offset, to: &out)
        let headerCRC = out.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<start + 12]))
        }
        appendLE(headerCRC, to: &out)
        out.append(contentsOf: payload)
        let recordCRC = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        appendLE(recordCRC, to: &out)
    }

    /// Why a segment header is unacceptable, or nil if it is a valid version-1 header.
    /// `bytes` holds at least 16 bytes.
    static func checkSegmentHeader(_ bytes: UnsafeRawBufferPointer, segment: String) -> CommitlogError? {
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<12]))
        if !bytes[0..<8].elementsEqual(magic) {
            return CommitlogError(
                .corruption, "not a commitlog segment: the header does not start with the magic STARLOG1",
                segment: segment, byteOffset: 0)
        }
        if crc != bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian {
            return CommitlogError(.corruption, "segment header CRC mismatch", segment: segment, byteOffset: 0)
        }
        let v = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
        if v != version {
            return CommitlogError(
                .unsupportedVersion,
                "segment format version \(v) is not supported (this build reads version \(version))",
                segment: segment, byteOffset: 8)
        }
        return nil
    }
}

/// Why a record at some position could not be read (see "anomaly" in `docs/commitlog.md`).
enum RecordAnomaly: Error, Sendable, Equatable {
    case shortRemainder(Int)
    case headerCRCMismatch
    case lengthPastEnd(UInt32)
    case recordCRCMismatch
    case unexpectedOffset(expected: UInt64, found: UInt64)

    var description: String {
        switch self {
        case .shortRemainder(let n): "\(n) trailing bytes, fewer than a record needs"
        case .headerCRCMismatch: "record header CRC mismatch"
        case .lengthPastEnd(let n): "record payload length \(n) runs past the end of the file"
        case .recordCRCMismatch: "record CRC mismatch"
        case .unexpectedOffset(let e, let f): "unexpected record offset \(f) (expected \(e))"
        }
    }
}

/// One record parsed from a segment's bytes.
struct ParsedRecord {
    var offset: UInt64
    /// Position of the payload in the segment.
    var payloadStart: Int
    var payloadLength: Int
    /// Position just past the record.
    var end: Int
}

extension CommitlogFormat {
    /// Parses the record at `p` of `bytes` (a whole segment), checking both CRCs and the length;
    /// offset continuity is the caller's business.
    static func parseRecord(_ bytes: UnsafeRawBufferPointer, at p: Int) -> Result<ParsedRecord, RecordAnomaly> {
        let left = bytes.count - p
        if left < recordOverhead { return .failure(.shortRemainder(left)) }
        let header = UnsafeRawBufferPointer(rebasing: bytes[p..<p + 12])
        let headerCRC = bytes.loadUnaligned(fromByteOffset: p + 12, as: UInt32.self).littleEndian
        if CRC32C.checksum(header) != headerCRC { return .failure(.headerCRCMismatch) }
        let length = bytes.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian
        let offset = bytes.loadUnaligned(fromByteOffset: p + 4, as: UInt64.self).littleEndian
        if Int(length) > left - recordOverhead { return .failure(.lengthPastEnd(length)) }
        let end = p + recordOverhead + Int(length)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[p..<end - 4]))
        if crc != bytes.loadUnaligned(fromByteOffset: end - 4, as: UInt32.self).littleEndian {
            return .failure(.recordCRCMismatch)
        }
        return .success(
            ParsedRecord(offset: offset, payloadStart: p + recordHeaderSize, payloadLength: Int(length), end: end))
    }
}
