import Foundation
import StarlingDatabase
import StarlingTypes

/// The archive of an online backup (`GET /v1/database/:name/backup`), a `tar` of:
///
/// - `starling-backup.json`: `{"format": 1, "database": NAME, "snapshot_offset": N, "files": [...]}`
/// - `snapshots/<N>.stsnap`: a snapshot of the database at transaction offset `N`
/// - `log/<segment>`: the commitlog segments from the one holding `N` on, as long as they were
///   when the backup started (a record cut short there is a torn tail recovery drops)
///
/// The module is part of the data (its program lives in the database's own tables), so the
/// snapshot carries it. Restoring (`POST /v1/database/:name/restore`) writes these files into a
/// new database directory and opens it like any database: snapshot, then the log suffix.
enum BackupArchive {
    static let manifest = "starling-backup.json"

    /// Opens the backup's files and lays out the archive (the files are read while it is sent).
    /// Waits until the plan's snapshot is published: call off the event loops and the database.
    static func parts(_ plan: BackupPlan, database: String) throws(HTTPError) -> [ResponsePart] {
        let files: [String]
        do { files = try plan.files() } catch { throw HTTPError(500, "backup of `\(database)` failed: \(error.message)") }
        var opened: [(path: String, fd: Int32, size: Int)] = []
        for path in files {
            let fd = open(plan.directory + "/" + path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            guard fd >= 0, fstat(fd, &info) == 0 else {
                let reason = String(cString: strerror(errno))
                if fd >= 0 { close(fd) }
                for f in opened { close(f.fd) }
                throw HTTPError(500, "backup of `\(database)` failed: cannot open \(path): \(reason)")
            }
            opened.append((path, fd, Int(info.st_size)))
        }
        let json: JSONValue = [
            "format": 1, "database": .string(database), "snapshot_offset": .integer(Int64(plan.snapshotOffset)),
            "files": .array(opened.map { .string($0.path) }),
        ]
        var head = json.utf8
        head.append(UInt8(ascii: "\n"))
        let now = Int(Date().timeIntervalSince1970)
        var parts: [ResponsePart] = [.bytes(TarArchive.header(path: manifest, size: head.count, mtime: now) + head + TarArchive.padding(head.count))]
        for f in opened {
            parts.append(.bytes(TarArchive.header(path: f.path, size: f.size, mtime: now)))
            parts.append(.file(descriptor: f.fd, length: f.size))
            parts.append(.bytes(TarArchive.padding(f.size)))
        }
        parts.append(.bytes(TarArchive.end))
        return parts
    }

    /// The files of an uploaded archive, checked: a manifest, exactly one snapshot, log segments,
    /// nothing else (no other paths, no `..`).
    static func files(_ archive: [UInt8]) throws(HTTPError) -> [TarArchive.Entry] {
        let entries: [TarArchive.Entry]
        do {
            entries = try archive.withUnsafeBytes { (b) throws(TarError) -> [TarArchive.Entry] in try TarArchive.entries(b) }
        } catch let error as TarError {
            throw HTTPError(400, "the body is not a Starling backup archive: \(error.message)")
        } catch {
            throw HTTPError(400, "the body is not a Starling backup archive: \(error)")
        }
        func allowed(_ path: String) -> Bool {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty, !parts[1].hasPrefix("."),
                parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" })
            else { return false }
            return (parts[0] == "snapshots" && parts[1].hasSuffix(".stsnap")) || parts[0] == "log"
        }
        guard entries.contains(where: { $0.path == manifest }) else {
            throw HTTPError(400, "the archive has no \(manifest): it was not made by `starling backup`")
        }
        let data = entries.filter { $0.path != manifest }
        if let bad = data.first(where: { !allowed($0.path) }) {
            throw HTTPError(400, "the archive holds `\(bad.path)`, which is not part of a backup (snapshots/*.stsnap, log/*)")
        }
        let snapshots = data.filter { $0.path.hasPrefix("snapshots/") }.count
        guard snapshots == 1 else { throw HTTPError(400, "a backup archive holds exactly one snapshot; this one holds \(snapshots)") }
        return data
    }

    /// Writes the archive's files into `directory` (created), fsyncing files and directories.
    static func extract(_ archive: [UInt8], _ entries: [TarArchive.Entry], into directory: String) throws(HTTPError) {
        for sub in ["", "/snapshots", "/log"] where mkdir(directory + sub, 0o755) != 0 {
            throw HTTPError(500, "restore: cannot create \(directory + sub): \(String(cString: strerror(errno)))")
        }
        for e in entries {
            let path = directory + "/" + e.path
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw HTTPError(500, "restore: cannot create \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var done = 0
            while done < e.range.count {
                let n = archive.withUnsafeBytes { write(fd, $0.baseAddress! + e.range.lowerBound + done, e.range.count - done) }
                guard n > 0 else { throw HTTPError(500, "restore: writing \(path) failed: \(String(cString: strerror(errno)))") }
                done += n
            }
            guard fsync(fd) == 0 else { throw HTTPError(500, "restore: fsync of \(path) failed") }
        }
        for sub in ["/snapshots", "/log", ""] { syncDirectory(directory + sub) }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
