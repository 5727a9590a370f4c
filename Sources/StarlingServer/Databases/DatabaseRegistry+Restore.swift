import Foundation
import Logging
import StarlingRuntime
import StarlingTypes
import Synchronization

extension DatabaseRegistry {
    /// Creates the database `name` from a backup archive, owned by `caller` with a new database
    /// identity. The files are written to a staging directory and opened there first (recovery
    /// checks them); only then is an existing database replaced (`replace`, owner only) and the
    /// staging directory renamed into place, so a bad archive changes nothing.
    func restore(_ name: String, archive: [UInt8], caller: Identity, replace: Bool) async throws(HTTPError) -> DatabaseInfo {
        if let why = Self.validate(name) { throw HTTPError(400, why) }
        guard let root = options.dataDirectory, let final = directory(name) else {
            throw HTTPError(400, "this server keeps its databases in memory (--in-memory); it cannot restore a backup")
        }
        let entries = try BackupArchive.files(archive)
        return try await exclusive(name) { () async throws(HTTPError) -> DatabaseInfo in
            let existing = host(name)
            if let existing {
                guard replace else {
                    throw HTTPError(409, "database `\(name)` already exists; restore under another name, or replace it (owner only) with --replace")
                }
                guard existing.info.owner == caller else { throw .notOwner("replace it", name) }
            }
            let staging = root + "/databases/.restore-\(UUID().uuidString)"
            var staged = runtimeOptions(name)
            staged.directory = staging
            let stagingOptions = staged
            let prepared: Result<Void, HTTPError> = await Self.offload {
                Result { () throws(HTTPError) in
                    try BackupArchive.extract(archive, entries, into: staging)
                    var rng = SystemRandomNumberGenerator()
                    let identity = Identity(limbs: (rng.next(), rng.next(), rng.next(), rng.next()))
                    do throws(RuntimeError) {
                        try ModuleDatabase.adoptRestoredCopy(options: stagingOptions, owner: caller, identity: identity)
                    } catch {
                        throw HTTPError(400, "the backup does not restore: \(error.message)")
                    }
                }
            }
            if case .failure(let e) = prepared {
                try? FileManager.default.removeItem(atPath: staging)
                throw e
            }
            if let existing { try remove(existing, reason: "the database was replaced by a restored backup") }
            guard rename(staging, final) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: staging)
                throw HTTPError(500, "restore: cannot move the restored database into place: \(reason)")
            }
            BackupArchive.syncDirectory(root + "/databases")
            let maxQueued = options.maxQueuedBytesPerClient
            let liveOptions = runtimeOptions(name)
            let opened: Result<DatabaseHost, RuntimeError> = await Self.offload {
                Result { () throws(RuntimeError) in
                    DatabaseHost(name: name, db: try ModuleDatabase.open(options: liveOptions), maxQueuedBytes: maxQueued)
                }
            }
            switch opened {
            case .success(let host):
                hosts.withLock { $0[name] = host }
                logger.info(
                    "restored database from a backup",
                    metadata: ["database": "\(name)", "owner": "\(caller.hexString)", "bytes": "\(archive.count)", "replaced": "\(existing != nil)"])
                return host.info
            case .failure(let e):
                throw HTTPError(500, "the restored database `\(name)` is in place but does not open: \(e.message)")
            }
        }
    }

    /// Logs a backup (who asked is the owner; the archive streams after this).
    func noteBackup(_ name: String, snapshotOffset: UInt64) {
        logger.info("backing up database", metadata: ["database": "\(name)", "snapshot_offset": "\(snapshotOffset)"])
    }
}
