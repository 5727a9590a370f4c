import Foundation
import Glibc
import Testing

@testable import StarlingDurability

/// CRC32C vectors and incremental use.
struct CRC32CTests {
    @Test func standardVector() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros / of 0xFF.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func incrementalEqualsWhole() {
        let data = testPayload(7, size: 1000)
        let whole = CRC32C.checksum(data)
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let a = CRC32C.checksum(Array(data[..<split]))
            #expect(CRC32C.checksum(Array(data[split...]), seed: a) == whole, "split \(split)")
        }
        // The slice-by-8 path agrees with the byte-at-a-time path at every alignment.
        data.withUnsafeBytes { buf in
            for start in 0..<9 {
                let part = UnsafeRawBufferPointer(rebasing: buf[start..<(start + 100)])
                let bytewise = part.reduce(into: 0) { crc, b in crc = CRC32C.checksum(Array([b]), seed: crc) }
                #expect(CRC32C.checksum(part) == bytewise)
            }
        }
    }

    @Test func hardwareAndSoftwareAgree() {
        // Whichever path `checksum` takes on this machine, it must match the table version.
        for size in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096 + 3] {
            let data = testPayload(UInt64(size), size: size)
            data.withUnsafeBytes { buf in
                #expect(CRC32C.checksum(buf) == CRC32C.software(buf), "size \(size)")
                #expect(CRC32C.checksum(buf, seed: 0x1234_5678) == CRC32C.software(buf, seed: 0x1234_5678))
            }
        }
    }
}

/// Writing and reading back: formats, segment rolls, offsets, reopening, file storage.
struct CommitlogRoundTripTests {
    @Test func segmentHeaderAndRecordLayout() throws {
        let storage = MemorySegmentStorage()
        try writeLog(storage, [[1, 2, 3]], startOffset: 5)
        let bytes = try #require(storage.bytes(of: 5))
        #expect(Array(bytes[0..<8]) == Array("STARLOG1".utf8))
        #expect(Array(bytes[8..<12]) == [1, 0, 0, 0])
        #expect(bytes.count == 16 + 20 + 3)
        #expect(Array(bytes[16..<20]) == [3, 0, 0, 0])
        #expect(Array(bytes[20..<28]) == [5, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[32..<35]) == [1, 2, 3])
        let recordCRC = UInt32(bytes[35]) | UInt32(bytes[36]) << 8 | UInt32(bytes[37]) << 16 | UInt32(bytes[38]) << 24
        #expect(recordCRC == CRC32C.checksum(Array(bytes[16..<35])))
        #expect(CommitlogFormat.segmentName(5) == "00000000000000000005.stlog")
        #expect(CommitlogFormat.parseSegmentName("00000000000000123456.stlog") == 123456)
        #expect(CommitlogFormat.parseSegmentName("0000000000000012345.stlog") == nil)
        #expect(CommitlogFormat.parseSegmentName("00000000000000123456.stlog.tmp") == nil)
    }

    @Test func randomSizesAcrossSegmentsAndReopen() throws {
        let storage = MemorySegmentStorage()
        var rng = TestRNG(seed: 42)
        let sizes = (0..<200).map { i in i % 10 == 0 ? 0 : rng.next(below: 100_001) }
        let payloads = sizes.enumerated().map { testPayload(UInt64($0.offset), size: $0.element) }
        let maxSegment = 512 << 10
        let offsets = try writeLog(storage, payloads, maxSegmentSize: maxSegment)
        #expect(offsets == Array(0..<200))

        // Several segments; each named by its first record; none exceeds the limit by more than a record.
        let starts = try storage.listSegments()
        #expect(starts.count > 5)
        for s in starts {
            let bytes = try #require(storage.bytes(of: s))
            let b = recordBoundaries(bytes)
            #expect(b.last == bytes.count)
            #expect(bytes.count - (b[b.count - 1] - b[b.count - 2]) < maxSegment)
        }

        let (records, recovery) = try recoverAll(storage)
        #expect(records.map(\.offset) == Array(0..<200))
        #expect(records.map(\.payload) == payloads)
        #expect(recovery.nextOffset == 200 && recovery.firstOffset == 0 && recovery.warnings.isEmpty)
        #expect(recovery.stats.records == 200 && recovery.stats.segments == starts.count)
        let total = try starts.reduce(0) { $0 + (try storage.readSegment(start: $1).count) }
        #expect(recovery.stats.bytes == total)

        // Reopen: numbering continues, in the last segment or a new one.
        var replayed = 0
        let (log, rec2) = try Commitlog.open(storage: storage, maxSegmentSize: maxSegment) { _, _ in replayed += 1 }
        #expect(replayed == 200 && rec2.nextOffset == 200)
        for i in 0..<30 { #expect(try log.append(testPayload(1000 + UInt64(i), size: 30_000)) == 200 + UInt64(i)) }
        try log.close()
        let (all, rec3) = try recoverAll(storage)
        #expect(all.map(\.offset) == Array(0..<230))
        #expect(all[229].payload == testPayload(1029, size: 30_000))
        #expect(rec3.nextOffset == 230)
    }

    @Test func startsAtAnyOffsetAndReportsProgress() throws {
        let storage = MemorySegmentStorage()
        let payloads = (0..<50).map { testPayload($0, size: 10_000) }
        try writeLog(storage, payloads, startOffset: 1_000, maxSegmentSize: 100_000)
        #expect(try storage.listSegments().first == 1_000)
        var reports: [CommitlogReplayProgress] = []
        let (records, recovery) = try recoverAll(storage, progressInterval: 64 << 10) { reports.append($0) }
        #expect(records.first?.offset == 1_000 && records.count == 50 && recovery.nextOffset == 1_050)
        #expect(reports.count >= 7)  // ~500 KB in 64 KiB steps, plus the final one
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.bytes <= $1.bytes && $0.records <= $1.records })
        #expect(reports.last == recovery.stats)
    }

    @Test func emptyStorage() throws {
        let (records, recovery) = try recoverAll(MemorySegmentStorage())
        #expect(records.isEmpty && recovery.nextOffset == 0 && recovery.firstOffset == nil)
        // A header-only segment (crash before the first record was written) is fine.
        let storage = MemorySegmentStorage()
        try writeLog(storage, [], startOffset: 7)
        let (_, r2) = try recoverAll(storage)
        #expect(r2.nextOffset == 7 && r2.firstOffset == nil && r2.warnings.isEmpty)
        let log = try Commitlog(storage: storage, nextOffset: r2.nextOffset)
        #expect(try log.appendAndWait([9]) == 7)
        try log.close()
        #expect(try recoverAll(storage).records.map(\.offset) == [7])
    }

    @Test func writerRejectsAMismatchedStart() throws {
        let storage = MemorySegmentStorage()
        try writeLog(storage, [[1]], startOffset: 10)
        let e = expectCommitlogError { _ = try Commitlog(storage: storage, nextOffset: 3) }
        #expect(e?.code == .invalidArgument)
    }

    @Test func fileStorageRoundTripTornTailAndIncompleteSegment() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-commitlog-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let storage = try FileSegmentStorage(directory: dir + "/log")
        let payloads = (0..<120).map { testPayload($0, size: Int($0 % 7) * 1_000) }
        try writeLog(storage, payloads, maxSegmentSize: 64 << 10, policy: .everyCommit)
        let starts = try storage.listSegments()
        #expect(starts.count > 2)
        // Unrelated files in the directory are ignored.
        _ = FileManager.default.createFile(atPath: dir + "/log/notes.txt", contents: Data([1, 2, 3]))

        var (records, recovery) = try recoverAll(storage)
        #expect(records.map(\.payload) == payloads && recovery.nextOffset == 120)

        // Tear the last record; recovery truncates the file.
        let last = try #require(starts.last)
        let path = storage.path(last)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let b = recordBoundaries(try storage.readSegment(start: last))
        #expect(truncate(path, off_t(size - 3)) == 0)
        (records, recovery) = try recoverAll(storage)
        #expect(records.count == 119 && recovery.nextOffset == 119)
        #expect(recovery.warnings.map(\.kind) == [.tornTail])
        #expect(recovery.warnings.first?.bytesDropped == size - 3 - b[b.count - 2])
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == b[b.count - 2])

        // A crash right after creating a segment leaves a file shorter than its header.
        _ = FileManager.default.createFile(atPath: storage.path(119), contents: Data([0x53, 0x54]))
        let (log, rec2) = try Commitlog.open(storage: storage, fsyncPolicy: .everyCommit) { _, _ in }
        #expect(rec2.warnings.map(\.kind) == [.removedIncompleteSegment] && rec2.nextOffset == 119)
        #expect(!FileManager.default.fileExists(atPath: storage.path(119)))
        #expect(try log.appendAndWait([42]) == 119)
        try log.close()
        (records, recovery) = try recoverAll(storage)
        #expect(records.map(\.offset) == Array(0..<120) && records.last?.payload == [42] && recovery.warnings.isEmpty)
    }
}
