/// Something recovery repaired on its own, reported so the operator knows.
public struct CommitlogWarning: Sendable, Equatable, CustomStringConvertible {
    /// What was repaired.
    public enum Kind: String, Sendable {
        /// The last segment ended in a partial write; it was truncated.
        case tornTail = "torn-tail"
        /// The last segment was shorter than its header; it was removed.
        case removedIncompleteSegment = "removed-incomplete-segment"
    }

    /// What was repaired.
    public var kind: Kind
    /// The segment file concerned.
    public var segment: String
    /// Where the segment was cut (0 for a removed segment).
    public var byteOffset: Int
    /// How many bytes were dropped.
    public var bytesDropped: Int
    /// A human-readable explanation.
    public var message: String

    public var description: String {
        "commitlog warning (\(kind.rawValue)) in \(segment) at byte \(byteOffset): \(message)"
    }
}

/// How far replay has got.
public struct CommitlogReplayProgress: Sendable, Equatable {
    /// Segment bytes replayed so far (headers and record framing included).
    public var bytes: Int
    /// Records replayed so far.
    public var records: Int
    /// Segments fully replayed so far.
    public var segments: Int
}

/// The outcome of opening a log.
public struct CommitlogRecovery: Sendable {
    /// The offset the next appended record must have.
    public var nextOffset: UInt64
    /// The offset of the first record in the log, or nil if it holds none.
    public var firstOffset: UInt64?
    /// Repairs made (torn tail truncated, incomplete segment removed).
    public var warnings: [CommitlogWarning]
    /// Totals: bytes, records and segments replayed.
    public var stats: CommitlogReplayProgress
}

/// Reads a log from its storage, validates it and repairs a torn tail, per the rules of
/// "Reading and recovery" in `docs/commitlog.md`.
public struct CommitlogReader: Sendable {
    /// The storage read (and, for tail repairs, modified).
    public let storage: any SegmentStorage
    /// Bytes of replay between progress reports.
    public var progressInterval: Int

    /// A reader of `storage`, reporting progress every `progressInterval` bytes (64 MiB default).
    public init(storage: any SegmentStorage, progressInterval: Int = 64 << 20) {
        self.storage = storage
        self.progressInterval = max(1, progressInterval)
    }

    /// Validates the whole log and calls `replay` with every record in offset order.
    ///
    /// Each record is checked (CRCs, offset continuity) just before it is replayed, in one pass
    /// over the segment; a damaged record stops the open with an error, and whatever was
    /// replayed before it is the caller's to discard. If the last segment ends in a torn write, it
    /// is truncated (after its records were replayed) and a warning is returned; a last segment
    /// shorter than its header is removed with a warning. The log is not modified when an error
    /// is thrown.
    ///
    /// - Parameters:
    ///   - progress: called every `progressInterval` bytes of replay and once at the end.
    ///   - replay: called with each record's offset and payload (valid only during the call).
    /// - Throws: `CommitlogError` (`.corruption`, `.unsupportedVersion`, `.io`), or whatever
    ///   `replay` throws, unchanged.
    public func recover(
        progress: ((CommitlogReplayProgress) -> Void)? = nil,
        replay: (_ offset: UInt64, _ payload: UnsafeRawBufferPointer) throws -> Void
    ) throws -> CommitlogRecovery {
        var starts = try storage.listSegments()
        var warnings: [CommitlogWarning] = []
        var pendingRemoval: (start: UInt64, size: Int)?

        // A last segment shorter than its header: a crash right after creating it.
        if let last = starts.last {
            let size = try storage.segmentSize(start: last)
            if size < CommitlogFormat.segmentHeaderSize {
                pendingRemoval = (last, size)
                starts.removeLast()
            }
        }

        var stats = CommitlogReplayProgress(bytes: 0, records: 0, segments: 0)
        var nextReport = progressInterval
        var expected: UInt64?  // offset the next record must have
        var firstOffset: UInt64?
        var pendingTruncation: (start: UInt64, at: Int, size: Int, anomaly: RecordAnomaly)?

        for (index, start) in starts.enumerated() {
            // After removing an incomplete last segment, no remaining segment is the last one.
            let isLast = index == starts.count - 1 && pendingRemoval == nil
            let name = CommitlogFormat.segmentName(start)
            if let e = expected, e != start {
                throw CommitlogError(
                    .corruption,
                    "segment \(name) does not continue the log: the previous segment ends before offset \(e). "
                        + "Restore the log from a backup.",
                    segment: name, byteOffset: 0)
            }
            try storage.withSegmentBytes(start: start) { (buf) throws in
                if buf.count < CommitlogFormat.segmentHeaderSize {
                    throw CommitlogError(
                        .corruption, "segment is \(buf.count) bytes, shorter than its 16-byte header", segment: name,
                        byteOffset: 0)
                }
                if let e = CommitlogFormat.checkSegmentHeader(buf, segment: name) { throw e }

                // Validate and replay each record in turn, up to the first anomaly.
                var p = CommitlogFormat.segmentHeaderSize
                var next = start
                var anomaly: RecordAnomaly?
                records: while p < buf.count {
                    let r: ParsedRecord
                    switch CommitlogFormat.parseRecord(buf, at: p) {
                    case .failure(let a):
                        anomaly = a
                        break records
                    case .success(let parsed): r = parsed
                    }
                    if r.offset != next {
                        anomaly = .unexpectedOffset(expected: next, found: r.offset)
                        break
                    }
                    let payload = UnsafeRawBufferPointer(
                        start: buf.baseAddress! + r.payloadStart, count: r.payloadLength)
                    try replay(r.offset, payload)
                    if firstOffset == nil { firstOffset = r.offset }
                    next += 1
                    p = r.end
                    stats.records += 1
                    stats.bytes += r.end - r.payloadStart + CommitlogFormat.recordHeaderSize
                    if stats.bytes >= nextReport {
                        progress?(stats)
                        nextReport = (stats.bytes / progressInterval + 1) * progressInterval
                    }
                }

                if let anomaly {
                    if !isLast {
                        throw CommitlogError(
                            .corruption,
                            "\(anomaly.description) in a segment that is not the last one. "
                                + "Restore the log from a backup; nothing was modified.",
                            segment: name, byteOffset: p)
                    }
                    let lastGood: UInt64? = next > start ? next - 1 : (index > 0 ? start - 1 : nil)
                    if let later = Self.findValidRecord(buf, from: p + 1, after: lastGood) {
                        throw CommitlogError(
                            .corruption,
                            "\(anomaly.description), but a valid record (offset \(later.offset)) follows at byte "
                                + "\(later.position), so this is damage before the tail, not a torn write. "
                                + "Restore the log from a backup, or truncate the segment at byte \(p) explicitly "
                                + "(dropping every record from there on); nothing was dropped or modified.",
                            segment: name, byteOffset: p)
                    }
                    pendingTruncation = (start, p, buf.count, anomaly)
                }
                stats.bytes += CommitlogFormat.segmentHeaderSize
                stats.segments += 1
                expected = next
            }
        }

        // Repairs, only after everything validated and replayed.
        if let t = pendingTruncation {
            try storage.truncateSegment(start: t.start, length: t.at)
            let name = CommitlogFormat.segmentName(t.start)
            warnings.append(
                CommitlogWarning(
                    kind: .tornTail, segment: name, byteOffset: t.at, bytesDropped: t.size - t.at,
                    message: "torn tail (\(t.anomaly.description)): truncated the segment at byte \(t.at), "
                        + "dropping \(t.size - t.at) bytes of an incomplete write"))
        }
        if let r = pendingRemoval {
            try storage.removeSegment(start: r.start)
            warnings.append(
                CommitlogWarning(
                    kind: .removedIncompleteSegment, segment: CommitlogFormat.segmentName(r.start), byteOffset: 0,
                    bytesDropped: r.size,
                    message: "removed a segment of \(r.size) bytes, shorter than its header "
                        + "(a crash right after creating it)"))
        }
        progress?(stats)
        let nextOffset = expected ?? pendingRemoval?.start ?? 0
        return CommitlogRecovery(nextOffset: nextOffset, firstOffset: firstOffset, warnings: warnings, stats: stats)
    }

    /// The first position at or after `from` where a complete, valid record starts whose offset
    /// is greater than `after` (any offset if `after` is nil).
    static func findValidRecord(
        _ buf: UnsafeRawBufferPointer, from: Int, after: UInt64?
    ) -> (position: Int, offset: UInt64)? {
        var q = from
        while q + CommitlogFormat.recordOverhead <= buf.count {
            if case .success(let r) = CommitlogFormat.parseRecord(buf, at: q), after.map({ r.offset > $0 }) ?? true {
                return (q, r.offset)
            }
            q += 1
        }
        return nil
    }
}
