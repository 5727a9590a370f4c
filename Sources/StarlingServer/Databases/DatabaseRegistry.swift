import Foundation
import Logging
import StarlingDatabase
import StarlingRuntime
import StarlingTypes
import Synchronization

/// Every database the server serves, by name. Databases on disk live in
/// `<data-dir>/databases/<name>/` and are opened when the server starts.
final class DatabaseRegistry: Sendable {
    let options: ServerOptions
    let logger: Logger
    let hosts = Mutex<[String: DatabaseHost]>([:])
    /// Names being published, deleted or replaced right now (one change per name at a time).
    private let busy = Mutex<Set<String>>([])

    init(options: ServerOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The directory of a database, nil in memory.
    func directory(_ name: String) -> String? {
        options.dataDirectory.map { "\($0)/databases/\(name)" }
    }

    func runtimeOptions(_ name: String) -> RuntimeOptions {
        var o = RuntimeOptions(directory: directory(name))
        o.fsync = options.fsync
        o.limits = options.limits
        o.syncDelayMicros = options.fsyncDelayMicros
        return o
    }

    /// Opens every database found in the data directory.
    func openAll() throws {
        guard let root = options.dataDirectory else { return }
        let dir = root + "/databases"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where Self.validate(name) == nil {
            let start = ContinuousClock.now
            do {
                let db = try ModuleDatabase.open(options: runtimeOptions(name))
                let r = db.database.recovery
                let host = DatabaseHost(name: name, db: db, maxQueuedBytes: options.maxQueuedBytesPerClient)
                hosts.withLock { $0[name] = host }
                logger.info(
                    "opened database", metadata: ["database": "\(name)", "replayed_commits": "\(r.records)", "replayed_bytes": "\(r.bytes)",
                        "ms": "\((ContinuousClock.now - start).wholeMicroseconds / 1000)"])
            } catch {
                logger.error("cannot open database; it is not served", metadata: ["database": "\(name)", "error": "\(error.message)"])
            }
        }
    }

    func host(_ name: String) -> DatabaseHost? { hosts.withLock { $0[name] } }

    var all: [DatabaseHost] { hosts.withLock { Array($0.values) }.sorted { $0.name < $1.name } }

    /// Why `name` is not a valid database name, or nil.
    static func validate(_ name: String) -> String? {
        let ok = !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
            && name.first != "-" && name.first != "_"
        return ok ? nil : "invalid database name `\(name)`: use 1–64 characters a–z, 0–9, `-` and `_`, starting with a letter or digit"
    }

    /// Runs `body` while holding the name against concurrent publishes and deletes.
    func exclusive<T>(_ name: String, _ body: () async throws(HTTPError) -> T) async throws(HTTPError) -> T {
        guard busy.withLock({ $0.insert(name).inserted }) else {
            throw HTTPError(409, "database `\(name)` is being changed by another request; try again")
        }
        defer { _ = busy.withLock { $0.remove(name) } }
        return try await body()
    }

    /// What a publish did.
    enum PublishOutcome: Sendable {
        case created(DatabaseInfo)
        case updated(DatabaseInfo, [String])
    }

    /// Publishes a new database, or updates (or with `clear`, replaces) an existing one.
    func publish(_ name: String, wasm: [UInt8], caller: Identity, clear: Bool) async throws(HTTPError) -> PublishOutcome {
        if let why = Self.validate(name) { throw HTTPError(400, why) }
        return try await exclusive(name) { () async throws(HTTPError) -> PublishOutcome in
            if let existing = host(name) {
                guard existing.info.owner == caller else { throw .notOwner("update it", name) }
                if !clear { return try await update(existing, wasm: wasm, caller: caller) }
                try remove(existing, reason: "the database was republished with --clear-database")
            }
            return .created(try await create(name, wasm: wasm, caller: caller))
        }
    }

    private func create(_ name: String, wasm: [UInt8], caller: Identity) async throws(HTTPError) -> DatabaseInfo {
        let options = runtimeOptions(name)
        let maxQueued = self.options.maxQueuedBytesPerClient
        let result: Result<DatabaseHost, RuntimeError> = await Self.offload {
            var rng = SystemRandomNumberGenerator()
            let identity = Identity(limbs: (rng.next(), rng.next(), rng.next(), rng.next()))
            do throws(RuntimeError) {
                let db = try ModuleDatabase.publish(wasm: wasm, owner: caller, identity: identity, options: options)
                return .success(DatabaseHost(name: name, db: db, maxQueuedBytes: maxQueued))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let host):
            hosts.withLock { $0[name] = host }
            logger.info("published database", metadata: ["database": "\(name)", "owner": "\(caller.hexString)", "bytes": "\(wasm.count)"])
            return host.info
        case .failure(let e):
            throw HTTPError(e.code == .initFailed ? 530 : 400, e.message)
        }
    }

    private func update(_ host: DatabaseHost, wasm: [UInt8], caller: Identity) async throws(HTTPError) -> PublishOutcome {
        let result: Result<[String], RuntimeError> = await host.perform { db in
            do throws(RuntimeError) {
                let before = db.schema
                let plan = try db.update(wasm: wasm, by: caller)
                host.moduleChanged(
                    db, schemaChanged: before.tables != db.schema.tables || before.rowLevelSecurity != db.schema.rowLevelSecurity)
                host.awaitDurability(db)
                return .success(plan.summary)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let summary):
            logger.info("updated database", metadata: ["database": "\(host.name)", "changes": "\(summary.joined(separator: "; "))"])
            return .updated(host.info, summary)
        case .failure(let e):
            throw HTTPError(e.code == .notOwner ? 403 : 400, e.message)
        }
    }

    /// Deletes a database (owner only): disconnects its clients and removes its data.
    func delete(_ name: String, caller: Identity) async throws(HTTPError) {
        try await exclusive(name) { () async throws(HTTPError) in
            guard let existing = host(name) else { throw .notFound(database: name) }
            guard existing.info.owner == caller else { throw .notOwner("delete it", name) }
            try remove(existing, reason: "the database was deleted")
            logger.info("deleted database", metadata: ["database": "\(name)"])
        }
    }

    func remove(_ host: DatabaseHost, reason: String) throws(HTTPError) {
        _ = hosts.withLock { $0.removeValue(forKey: host.name) }
        host.stop(reason: reason)
        if let dir = directory(host.name) {
            do { try FileManager.default.removeItem(atPath: dir) } catch {
                throw HTTPError(500, "could not remove \(dir): \(error.localizedDescription)")
            }
        }
    }

    /// Stops every database (flushing its log).
    func stopAll() {
        let all = hosts.withLock { h in
            defer { h.removeAll() }
            return Array(h.values)
        }
        for h in all { h.stop(reason: "the server is shutting down") }
    }

    /// Runs blocking work off the event loops and the cooperative pool.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: work()) } }
    }
}
