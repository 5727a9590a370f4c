import StarlingDurability
import StarlingStore
import StarlingTypes

#if canImport(Glibc)
import Glibc
#endif

/// Snapshot files: a consistent image of every table's rows at a transaction offset
/// (format in `docs/snapshot.md`).
///
/// A snapshot named `N` holds the state after every transaction below offset `N`. It is written
/// to a temporary file, fsynced, renamed into place and the directory fsynced, so a crash leaves
/// either the old set of snapshots or the new one.
enum SnapshotFile {
    static let magic: [UInt8] = Array("STARSNP1".utf8)
    static let version: UInt32 = 1
    /// The table id of the footer chunk that closes a complete snapshot.
    static let footerId: UInt32 = .max
    /// Rows per chunk are cut so a chunk stays near this size.
    static let chunkTarget = 1 << 20

    static func name(_ offset: UInt64) -> String {
        let digits = String(offset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".stsnap"
    }

    /// Offsets of the snapshots in `directory`, ascending.
    static func list(_ directory: String) -> [UInt64] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var out: [UInt64] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name.hasSuffix(".stsnap"), name.count == 27, let n = UInt64(name.prefix(20)) else { continue }
            out.append(n)
        }
        return out.sorted()
    }

    /// Writes the snapshot of `capture` (the state before transaction `offset`) into
    /// `directory` and publishes it atomically: written to a temporary file in ~1 MiB chunks,
    /// fsynced, renamed into place, directory fsynced. Returns the file's size. Runs on any thread.
    static func write(_ capture: StoreCapture, offset: UInt64, directory: String) throws(DatabaseError) -> Int {
        mkdir(directory, 0o755)
        let final = directory + "/" + name(offset)
        let temp = final + ".tmp"
        let file = try SnapshotSink(path: temp)
        var header: [UInt8] = magic
        append32(&header, version)
        append32(&header, CRC32C.checksum(header))
        try file.write(header)
        // A chunk: table id, row count (patched when the chunk closes), rows.
        var chunk = BSATNWriter(capacity: chunkTarget + 4096)
        for (i, id) in capture.tableIds.enumerated() {
            var rows = 0
            func open() {
                chunk.removeAll()
                chunk.write(id)
                chunk.write(UInt32(0))
                rows = 0
            }
            func close() throws(DatabaseError) {
                chunk.withMutableBytes { $0.storeBytes(of: UInt32(rows).littleEndian, toByteOffset: 4, as: UInt32.self) }
                try chunk.withBytes { (b) throws(DatabaseError) in try file.writeChunk(b) }
            }
            open()
            try capture.forEachRow(ofTable: i) { (row) throws(DatabaseError) -> Bool in
                chunk.writeLength(row.count)
                chunk.writeRaw(row)
                rows += 1
                if chunk.count >= chunkTarget {
                    try close()
                    open()
                }
                return true
            }
            if rows > 0 { try close() }
        }
        var footer = BSATNWriter()
        footer.write(footerId)
        footer.write(offset)
        footer.write(UInt32(capture.tableIds.count))
        footer.write(UInt64(capture.rowCount))
        try footer.withBytes { (b) throws(DatabaseError) in try file.writeChunk(b) }
        let size = try file.finish()
        guard rename(temp, final) == 0 else {
            throw DatabaseError(.log, "snapshot: cannot rename \(temp): \(String(cString: strerror(errno)))")
        }
        syncDirectory(directory)
        return size
    }

    /// Reads and verifies a snapshot; returns its rows per table (system tables first) as ranges
    /// of the file's bytes.
    static func read(_ path: String, expectedOffset: UInt64) throws(DatabaseError) -> SnapshotImage {
        guard let bytes = readFile(path) else { throw DatabaseError(.log, "snapshot \(path) cannot be read") }
        func bad(_ what: String, _ at: Int) -> DatabaseError {
            DatabaseError(.log, "snapshot \(path) is damaged at byte \(at): \(what)")
        }
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw bad("bad magic", 0) }
        guard load32(bytes, 12) == CRC32C.checksum(Array(bytes[0..<12])) else { throw bad("header checksum", 12) }
        guard load32(bytes, 8) == version else { throw bad("unsupported version \(load32(bytes, 8))", 8) }
        var tables: [(table: TableId, sections: [Range<Int>])] = []
        var p = 16
        let complete: Bool = try bytes.withBytes { (all) throws(DatabaseError) -> Bool in
            while p < all.count {
                guard p + 8 <= all.count else { throw bad("truncated chunk header", p) }
                let length = Int(load32(bytes, p))
                guard length <= all.count - p - 8 else { throw bad("truncated chunk", p) }
                let payload = UnsafeRawBufferPointer(rebasing: all[(p + 4)..<(p + 4 + length)])
                guard load32(bytes, p + 4 + length) == CRC32C.checksum(payload) else { throw bad("chunk checksum", p) }
                do throws(BSATNError) {
                    var r = BSATNReader(payload)
                    let id: UInt32 = try r.readLE()
                    if id == footerId {
                        let offset: UInt64 = try r.readLE()
                        guard offset == expectedOffset else {
                            throw BSATNError(.typeMismatch, "footer offset \(offset) does not match the file name", offset: 4)
                        }
                        _ = try r.readLE(UInt32.self)
                        _ = try r.readLE(UInt64.self)
                        try r.expectEnd()
                        return true
                    }
                    // Rows are read (and their framing checked) in place when loading.
                    let sectionStart = p + 4 + r.position
                    _ = try r.readLength(minElementSize: 4)
                    if tables.last?.table != id { tables.append((id, [])) }
                    tables[tables.count - 1].sections.append(sectionStart..<(p + 4 + length))
                } catch {
                    throw bad(error.message, p)
                }
                p += 8 + length
            }
            return false
        }
        guard complete else { throw bad("no footer: the snapshot is incomplete", bytes.count) }
        return SnapshotImage(buffer: bytes, tables: tables)
    }

    static func append32(_ out: inout [UInt8], _ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func load32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }

    static func writeDurably(_ bytes: [UInt8], to path: String) throws(DatabaseError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DatabaseError(.log, "snapshot: cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            guard n > 0 else { throw DatabaseError(.log, "snapshot: writing \(path) failed: \(String(cString: strerror(errno)))") }
            done += n
        }
        guard fsync(fd) == 0 else { throw DatabaseError(.log, "snapshot: fsync of \(path) failed") }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        var failed = false
        let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = Glibc.read(fd, buffer.baseAddress! + done, size - done)
                if n <= 0 {
                    failed = n < 0
                    break
                }
                done += n
            }
            count = done
        }
        return failed ? nil : out
    }

    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// A file being written in large blocks (snapshots): buffers, writes, fsyncs, and removes the
/// file again if anything fails before ``finish()``.
final class SnapshotSink {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var written = 0
    private var finished = false
    static let blockSize = 4 << 20

    init(path: String) throws(DatabaseError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DatabaseError(.log, "snapshot: cannot create \(path): \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(Self.blockSize + (2 << 20))
    }

    deinit {
        close(fd)
        if !finished { unlink(path) }
    }

    func write(_ bytes: [UInt8]) throws(DatabaseError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.blockSize { try drain() }
    }

    /// Appends one chunk: length, payload, CRC32C of the payload.
    func writeChunk(_ payload: UnsafeRawBufferPointer) throws(DatabaseError) {
        SnapshotFile.append32(&buffer, UInt32(payload.count))
        buffer.append(contentsOf: payload)
        SnapshotFile.append32(&buffer, CRC32C.checksum(payload))
        if buffer.count >= Self.blockSize { try drain() }
    }

    private func drain() throws(DatabaseError) {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            guard n > 0 else {
                throw DatabaseError(.log, "snapshot: writing \(path) failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and fsyncs; returns the file's size.
    func finish() throws(DatabaseError) -> Int {
        try drain()
        guard fsync(fd) == 0 else {
            throw DatabaseError(.log, "snapshot: fsync of \(path) failed: \(String(cString: strerror(errno)))")
        }
        finished = true
        return written
    }
}
