import Foundation
import Testing

@testable import StarlingDurability

/// The anomaly rules of "Reading and recovery" in docs/commitlog.md.
struct CommitlogRecoveryTests {
    /// Two segments: 0 (records 0..<5) and 5 (records 5..<10, the last 400+ bytes long).
    static func twoSegments() throws -> MemorySegmentStorage {
        let storage = MemorySegmentStorage()
        let payloads = (0..<10).map { i in testPayload(UInt64(i), size: i == 9 ? 400 : 100 + Int(i)) }
        // 5 records of ~120 bytes reach 600 bytes: the sixth starts a new segment.
        try writeLog(storage, payloads, maxSegmentSize: 5 * 120 + 16)
        #expect(try storage.listSegments() == [0, 5])
        return storage
    }

    @Test func tornTailAtEveryBytePositionOfTheLastRecord() throws {
        let original = try Self.twoSegments()
        let bytes = try #require(original.bytes(of: 5))
        let b = recordBoundaries(bytes)
        let lastStart = b[b.count - 2]
        #expect(bytes.count - lastStart > 300)
        for cut in lastStart..<bytes.count {
            let storage = try copyStorage(original)
            storage.setBytes(Array(bytes[..<cut]), of: 5)
            let (records, recovery) = try recoverAll(storage)
            #expect(records.map(\.offset) == Array(0..<9), "cut at \(cut)")
            #expect(recovery.nextOffset == 9)
            #expect(storage.bytes(of: 5)?.count == lastStart)
            if cut == lastStart {
                #expect(recovery.warnings.isEmpty)
            } else {
                let w = try #require(recovery.warnings.first)
                #expect(recovery.warnings.count == 1)
                #expect(w.kind == .tornTail && w.segment == "00000000000000000005.stlog")
                #expect(w.byteOffset == lastStart && w.bytesDropped == cut - lastStart)
            }
            // Appending afterwards continues the numbering and reads back.
            let log = try Commitlog(storage: storage, nextOffset: recovery.nextOffset)
            #expect(try log.append([7, 7]) == 9)
            try log.close()
            let (again, r2) = try recoverAll(storage)
            #expect(again.map(\.offset) == Array(0..<10) && again.last?.payload == [7, 7] && r2.warnings.isEmpty)
        }
    }

    /// Flips one byte at `position` of segment `segment`.
    static func flip(_ storage: MemorySegmentStorage, segment: UInt64, at position: Int) {
        var bytes = storage.bytes(of: segment)!
        bytes[position] ^= 0x40
        storage.setBytes(bytes, of: segment)
    }

    @Test func flipInAMiddleRecordOfTheLastSegmentIsCorruption() throws {
        let original = try Self.twoSegments()
        let b = recordBoundaries(original.bytes(of: 5)!)
        // Record 7 (the third of segment 5): its length, offset, header CRC, payload and record CRC.
        let start = b[2]
        for position in [start, start + 5, start + 13, start + 16, start + 60, b[3] - 1] {
            let storage = try copyStorage(original)
            let before = storage.bytes(of: 5)!
            Self.flip(storage, segment: 5, at: position)
            var replayed: [UInt64] = []
            let e = expectCommitlogError {
                _ = try CommitlogReader(storage: storage).recover { o, _ in replayed.append(o) }
            }
            #expect(e?.code == .corruption, "flip at \(position)")
            #expect(e?.segment == "00000000000000000005.stlog" && e?.byteOffset == start)
            #expect(e?.description.contains("00000000000000000005.stlog at byte \(start)") == true)
            #expect(e?.message.contains("Restore the log from a backup") == true)
            #expect(e?.message.contains("truncate the segment at byte \(start)") == true)
            // Nothing was modified, and replay stopped at the damaged record (the caller discards
            // what was replayed when the open fails).
            var flipped = before
            flipped[position] ^= 0x40
            #expect(storage.bytes(of: 5) == flipped)
            #expect(replayed == Array(0..<7))
        }
    }

    @Test func flipInTheLastRecordIsATornTail() throws {
        let original = try Self.twoSegments()
        let b = recordBoundaries(original.bytes(of: 5)!)
        let start = b[b.count - 2]
        for position in [start, start + 4, start + 12, start + 16, start + 200, b[b.count - 1] - 1] {
            let storage = try copyStorage(original)
            Self.flip(storage, segment: 5, at: position)
            let (records, recovery) = try recoverAll(storage)
            #expect(records.map(\.offset) == Array(0..<9), "flip at \(position)")
            #expect(recovery.warnings.map(\.kind) == [.tornTail] && recovery.warnings.first?.byteOffset == start)
            #expect(storage.bytes(of: 5)?.count == start)
        }
    }

    @Test func flipInANonLastSegmentIsAnError() throws {
        let original = try Self.twoSegments()
        let b = recordBoundaries(original.bytes(of: 0)!)
        // Even in the last record of the first segment (which would be a torn tail if it were last).
        for (record, position) in [(1, b[1] + 20), (4, b[4] + 3), (4, b[5] - 1)] {
            let storage = try copyStorage(original)
            Self.flip(storage, segment: 0, at: position)
            let e = expectCommitlogError { _ = try recoverAll(storage) }
            #expect(e?.code == .corruption && e?.segment == "00000000000000000000.stlog")
            #expect(e?.byteOffset == b[record], "flip at \(position)")
            #expect(e?.message.contains("not the last") == true)
        }
        // A truncated non-last segment too.
        let storage = try copyStorage(original)
        storage.setBytes(Array(original.bytes(of: 0)!.dropLast(1)), of: 0)
        #expect(expectCommitlogError { _ = try recoverAll(storage) }?.byteOffset == b[4])
    }

    @Test func badSegmentHeaders() throws {
        let original = try Self.twoSegments()
        for segment: UInt64 in [0, 5] {
            // Wrong magic.
            var storage = try copyStorage(original)
            Self.flip(storage, segment: segment, at: 2)
            var e = expectCommitlogError { _ = try recoverAll(storage) }
            #expect(e?.code == .corruption && e?.segment == CommitlogFormat.segmentName(segment) && e?.byteOffset == 0)
            #expect(e?.message.contains("magic") == true)
            // Header CRC.
            storage = try copyStorage(original)
            Self.flip(storage, segment: segment, at: 13)
            #expect(expectCommitlogError { _ = try recoverAll(storage) }?.code == .corruption)
            // Version 2 with a valid header CRC.
            storage = try copyStorage(original)
            var bytes = storage.bytes(of: segment)!
            bytes[8] = 2
            let crc = CRC32C.checksum(Array(bytes[0..<12]))
            for k in 0..<4 { bytes[12 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            storage.setBytes(bytes, of: segment)
            e = expectCommitlogError { _ = try recoverAll(storage) }
            #expect(e?.code == .unsupportedVersion && e?.message.contains("version 2") == true)
        }
    }

    @Test func unexpectedOffsets() throws {
        // Records 0, 1, 3, 4 (a gap) in the last segment: a valid later record follows → corruption.
        var bytes = CommitlogFormat.segmentHeader
        for o: UInt64 in [0, 1, 3, 4] { CommitlogFormat.appendRecord(offset: o, payload: [UInt8(o)], to: &bytes) }
        let storage = MemorySegmentStorage()
        storage.setBytes(bytes, of: 0)
        let e = expectCommitlogError { _ = try recoverAll(storage) }
        #expect(e?.code == .corruption && e?.byteOffset == 16 + 2 * 21)
        #expect(e?.message.contains("unexpected record offset 3 (expected 2)") == true)

        // A first record that does not match the segment's name.
        var named = CommitlogFormat.segmentHeader
        CommitlogFormat.appendRecord(offset: 8, payload: [], to: &named)
        CommitlogFormat.appendRecord(offset: 9, payload: [], to: &named)
        storage.setBytes(named, of: 2)
        storage.setBytes(Array(bytes[..<(16 + 2 * 21)]), of: 0)  // 0, 1 only
        let ne = expectCommitlogError { _ = try recoverAll(storage) }
        #expect(ne?.code == .corruption && ne?.segment == "00000000000000000002.stlog" && ne?.byteOffset == 16)

        // A segment that does not continue the previous one.
        let gap = MemorySegmentStorage()
        gap.setBytes(Array(bytes[..<(16 + 2 * 21)]), of: 0)
        var later = CommitlogFormat.segmentHeader
        CommitlogFormat.appendRecord(offset: 5, payload: [], to: &later)
        gap.setBytes(later, of: 5)
        let ge = expectCommitlogError { _ = try recoverAll(gap) }
        #expect(ge?.code == .corruption && ge?.segment == "00000000000000000005.stlog")
    }

    @Test func incompleteLastSegmentIsRemoved() throws {
        for length in [0, 1, 15] {
            let storage = try Self.twoSegments()
            storage.setBytes(Array(CommitlogFormat.segmentHeader.prefix(length)), of: 10)
            let (records, recovery) = try recoverAll(storage)
            #expect(records.count == 10 && recovery.nextOffset == 10)
            #expect(recovery.warnings.map(\.kind) == [.removedIncompleteSegment])
            #expect(recovery.warnings.first?.segment == "00000000000000000010.stlog")
            #expect(recovery.warnings.first?.bytesDropped == length)
            #expect(try storage.listSegments() == [0, 5])
        }
        // Then the segment before it is no longer the last: its anomalies are errors.
        let storage = try Self.twoSegments()
        storage.setBytes([], of: 10)
        storage.setBytes(Array(storage.bytes(of: 5)!.dropLast(2)), of: 5)
        #expect(expectCommitlogError { _ = try recoverAll(storage) }?.code == .corruption)
        #expect(try storage.listSegments() == [0, 5, 10])  // untouched
    }

    @Test func replayErrorsPropagateUnchangedAndModifyNothing() throws {
        struct Stop: Error {}
        let storage = try Self.twoSegments()
        storage.setBytes(Array(storage.bytes(of: 5)!.dropLast(10)), of: 5)
        let before = storage.bytes(of: 5)
        #expect(throws: Stop.self) {
            _ = try CommitlogReader(storage: storage).recover { o, _ in if o == 7 { throw Stop() } }
        }
        #expect(storage.bytes(of: 5) == before)
    }
}
