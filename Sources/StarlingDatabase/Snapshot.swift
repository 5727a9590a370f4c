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

    /// Writes the snapshot of `store` at `offset` into `directory` and publishes it atomically.
    static func write(_ store: Datastore, offset: UInt64, directory: String) throws(DatabaseError) {
        mkdir(directory, 0o755)
        var out: [UInt8] = magic
        append32(&out, version)
        append32(&out, CRC32C.checksum(out))
        var tableCount: UInt32 = 0
        var rowCount: UInt64 = 0
        do {
            try store.read { tx throws(StoreError) in
                for (id, _) in try tx.tableNames() {
                    tableCount += 1
                    // A chunk: table id, row count (patched when the chunk closes), rows.
                    var chunk = BSATNWriter(capacity: chunkTarget + 4096)
                    var rows = 0
                    func open() {
                        chunk.removeAll()
                        chunk.write(id)
                        chunk.write(UInt32(0))
                        rows = 0
                    }
                    func close() {
                        chunk.withMutableBytes { $0.storeBytes(of: UInt32(rows).littleEndian, toByteOffset: 4, as: UInt32.self) }
                        chunk.withBytes { appendChunk(&out, $0) }
                    }
                    open()
                    try tx.scan(id) { _, row in
                        chunk.writeLength(row.count)
                        chunk.writeRaw(row)
                        rows += 1
                        rowCount += 1
                        if chunk.count >= chunkTarget {
                            close()
                            open()
                        }
                        return true
                    }
                    if rows > 0 { close() }
                }
            }
        } catch {
            throw DatabaseError(.store, "snapshot: \(error.message)", store: error)
        }
        var footer = BSATNWriter()
        footer.write(footerId)
        footer.write(offset)
        footer.write(tableCount)
        footer.write(rowCount)
        footer.withBytes { appendChunk(&out, $0) }
        let final = directory + "/" + name(offset)
        let temp = final + ".tmp"
        try writeDurably(out, to: temp)
        guard rename(temp, final) == 0 else {
            throw DatabaseError(.log, "snapshot: cannot rename \(temp): \(String(cString: strerror(errno)))")
        }
        syncDirectory(directory)
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
                    // Validate the row list's framing now; rows are read in place when loading.
                    let sectionStart = p + 4 + r.position
                    let n = try r.readLength(minElementSize: 4)
                    for _ in 0..<n { _ = try r.readByteSlice() }
                    try r.expectEnd()
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

    private static func appendChunk(_ out: inout [UInt8], _ payload: UnsafeRawBufferPointer) {
        append32(&out, UInt32(payload.count))
        out.append(contentsOf: payload)
        append32(&out, CRC32C.checksum(payload))
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
